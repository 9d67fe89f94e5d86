package org.fpwap.weights;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Finds NaN and infinite weights after decoding. A checkpoint saved after a diverged step (or corrupted on
 * disk) would otherwise turn every activation downstream into NaN without a word; one pass over the FP32
 * staging copy on the prefetch thread names the tensor and element instead.
 */
final class Finiteness {
    private static final ValueLayout.OfInt BITS = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int EXPONENT = 0x7F80_0000;

    private Finiteness() {}

    /**
     * The index of the first NaN or infinity among {@code count} little-endian FP32 values, or -1.
     *
     * @param fp32 the values
     * @param count how many to check
     * @return the element index, or -1 when every value is finite
     */
    static long firstNonFinite(MemorySegment fp32, long count) {
        for (long i = 0; i < count; i++) {
            // All exponent bits set is exactly NaN or ±infinity.
            if ((fp32.get(BITS, i * Float.BYTES) & EXPONENT) == EXPONENT) {
                return i;
            }
        }
        return -1;
    }
}
