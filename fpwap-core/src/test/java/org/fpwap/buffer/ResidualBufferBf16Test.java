package org.fpwap.buffer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;

import org.fpwap.buffer.ResidualBuffer.Transport;
import org.fpwap.forward.PaddingSide;
import org.fpwap.safetensors.Widening;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResidualBufferBf16Test {
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int HIDDEN = 8;

    @TempDir
    Path dir;

    /** Special values, ties in both directions, and a long run of closed-form values. */
    private static float[] values(int count) {
        float[] special = {
            Float.intBitsToFloat(0x3F808000), // 1 + 2^-8: a tie, even neighbour below
            Float.intBitsToFloat(0x3F818000), // a tie, even neighbour above
            Float.intBitsToFloat(0xBF808000), // negative tie
            Float.intBitsToFloat(0x3F808001), // just above a tie: rounds up
            Float.intBitsToFloat(0x3F807FFF), // just below a tie: rounds down
            0.0f, -0.0f, 1.0f, -1.0f,
            Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL,
            Float.MAX_VALUE, -Float.MAX_VALUE,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
            Float.NaN, Float.intBitsToFloat(0x7F800001),
        };
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = i < special.length ? special[i] : Rows.value(i, i % 7, i % HIDDEN) * (float) Math.pow(10, i % 9 - 4);
        }
        return v;
    }

    @Test
    void roundTripEqualsRoundingToNearestEvenThenWideningForEveryElement() {
        long[] ids = {0, 1, 2};
        int[] lengths = {3, 900, 700}; // 900 × 8 elements span several conversion chunks
        try (ResidualBuffer buffer = ResidualBuffer.create(dir, HIDDEN, ids, lengths, Transport.BF16, false)) {
            for (int p = 0; p < ids.length; p++) {
                float[] src = values(lengths[p] * HIDDEN);
                buffer.writeSample(p, src, 0);
                float[] back = new float[src.length];
                buffer.readSample(p, back, 0);
                for (int i = 0; i < src.length; i++) {
                    float expected = Widening.bf16ToF32(Widening.f32ToBf16(src[i]));
                    assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(back[i]),
                            "element " + i + " of sample " + p + " (input bits " + Integer.toHexString(Float.floatToRawIntBits(src[i])) + ")");
                }
            }
        }
    }

    @Test
    void tiesRoundToTheEvenNeighbour() {
        try (ResidualBuffer buffer = ResidualBuffer.create(dir, 4, new long[] {0}, new int[] {1}, Transport.BF16, false)) {
            float[] ties = {
                Float.intBitsToFloat(0x3F808000), Float.intBitsToFloat(0x3F818000),
                Float.intBitsToFloat(0xC0008000), Float.intBitsToFloat(0x40018000),
            };
            buffer.writeSample(0, ties, 0);
            float[] back = new float[4];
            buffer.readSample(0, back, 0);
            int[] expectedBits = {0x3F800000, 0x3F820000, 0xC0000000, 0x40020000};
            for (int i = 0; i < 4; i++) {
                assertEquals(expectedBits[i], Float.floatToRawIntBits(back[i]), "tie " + i);
            }
        }
    }

    @Test
    void paddedBf16ReadsAndWritesThroughOffHeapMemoryRoundAndZeroPads() {
        long[] ids = {4, 5};
        int[] lengths = {2, 3};
        int width = 4;
        try (ResidualBuffer buffer = ResidualBuffer.create(dir, HIDDEN, ids, lengths, Transport.BF16, false);
             Arena arena = Arena.ofConfined()) {
            MemorySegment block = arena.allocate(4L * 2 * width * HIDDEN);
            float[] v = values(2 * width * HIDDEN);
            for (int i = 0; i < v.length; i++) {
                block.set(F32_LE, 4L * i, v[i]);
            }
            buffer.writePadded(0, 2, width, PaddingSide.LEFT, block);
            block.fill((byte) 0x55);
            buffer.readPadded(0, 2, width, PaddingSide.LEFT, block);
            for (int b = 0; b < 2; b++) {
                for (int t = 0; t < width; t++) {
                    boolean real = t >= width - lengths[b];
                    for (int h = 0; h < HIDDEN; h++) {
                        int i = (b * width + t) * HIDDEN + h;
                        float expected = real ? Widening.bf16ToF32(Widening.f32ToBf16(v[i])) : 0.0f;
                        assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(block.get(F32_LE, 4L * i)),
                                "row " + b + " position " + t + " element " + h);
                    }
                }
            }
        }
    }
}
