package org.fpwap.weights;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import org.fpwap.model.LayerTensor;
import org.fpwap.model.WeightRef;

/**
 * Where each of one block's tensors sits, as FP32, inside a staging buffer: every tensor starts on a
 * 64-byte boundary (a stacked role's parts lie back to back). Blocks of one model may differ (dense and
 * expert layers); staging slots are sized for the largest.
 *
 * @param layer the block
 * @param refs the block's tensors by role
 * @param offsets byte offset of each role's FP32 data in the buffer
 * @param bytes the buffer size the layout needs
 */
public record LayerLayout(int layer, Map<LayerTensor, WeightRef> refs, Map<LayerTensor, Long> offsets, long bytes) {

    /** Alignment of each tensor in the buffer (a cache line; also what SIMD loads like). */
    public static final long ALIGNMENT = 64;

    public LayerLayout {
        refs = Collections.unmodifiableMap(new EnumMap<>(requireNonNull(refs, "refs is null")));
        offsets = Collections.unmodifiableMap(new EnumMap<>(requireNonNull(offsets, "offsets is null")));
    }

    /** Lays out {@code refs} back to back, each aligned. */
    public static LayerLayout of(int layer, Map<LayerTensor, WeightRef> refs) {
        Map<LayerTensor, Long> offsets = new EnumMap<>(LayerTensor.class);
        long next = 0;
        for (Map.Entry<LayerTensor, WeightRef> e : refs.entrySet()) {
            offsets.put(e.getKey(), next);
            long size = Math.multiplyExact(e.getValue().elementCount(), (long) Float.BYTES);
            next = Math.addExact(next, (size + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT);
        }
        return new LayerLayout(layer, refs, offsets, next);
    }
}
