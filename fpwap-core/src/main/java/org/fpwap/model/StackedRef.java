package org.fpwap.model;

import java.util.Arrays;
import java.util.List;

/**
 * Tensors of one shape stacked along a new leading axis: {@code parts.size() × part shape}.
 *
 * @param parts the checkpoint tensors, in stacking order (all of one shape)
 */
public record StackedRef(List<TensorRef> parts) implements WeightRef {

    public StackedRef {
        parts = List.copyOf(parts);
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("a stacked tensor needs at least one part");
        }
        long[] first = parts.get(0).shape();
        for (TensorRef p : parts) {
            if (!Arrays.equals(p.shape(), first)) {
                throw new IllegalArgumentException("stacked tensors must share one shape: " + parts.get(0) + " vs " + p);
            }
        }
    }

    @Override
    public long[] shape() {
        long[] part = parts.get(0).shape();
        long[] shape = new long[part.length + 1];
        shape[0] = parts.size();
        System.arraycopy(part, 0, shape, 1, part.length);
        return shape;
    }

    @Override
    public long elementCount() {
        return Math.multiplyExact(parts.get(0).elementCount(), (long) parts.size());
    }

    @Override
    public String toString() {
        return parts.size() + " x " + parts.get(0);
    }
}
