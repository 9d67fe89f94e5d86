package org.fpwap.model;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import java.util.List;

/**
 * A checkpoint tensor the model needs: its name in the files and the shape the spec implies.
 *
 * @param name the tensor's name in the safetensors files
 * @param shape the expected shape
 */
public record TensorRef(String name, long[] shape) implements WeightRef {
    public TensorRef {
        requireNonNull(name, "name is null");
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public List<TensorRef> parts() {
        return List.of(this);
    }

    /** Number of elements. */
    @Override
    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorRef(String n, long[] s) && n.equals(name) && Arrays.equals(s, shape);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
