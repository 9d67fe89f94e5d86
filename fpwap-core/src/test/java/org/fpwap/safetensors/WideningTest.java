package org.fpwap.safetensors;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WideningTest {
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt WORD = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int PATTERNS = 1 << 16;

    /** Every 16-bit pattern, little-endian, after a 1-byte offset so unaligned access is exercised. */
    private static MemorySegment allPatterns(Arena arena) {
        MemorySegment src = arena.allocate(1 + 2L * PATTERNS);
        for (int bits = 0; bits < PATTERNS; bits++) {
            src.set(HALF, 1 + 2L * bits, (short) bits);
        }
        return src;
    }

    @Test
    void everyBf16PatternWidensToItsBitsShiftedIntoTheUpperHalf() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = allPatterns(arena);
            MemorySegment dst = arena.allocate(3 + 4L * PATTERNS);
            Widening.bf16ToF32(src, 1, dst, 3, PATTERNS);
            for (int bits = 0; bits < PATTERNS; bits++) {
                int expected = Float.floatToRawIntBits(Float.intBitsToFloat(bits << 16));
                assertEquals(expected, dst.get(WORD, 3 + 4L * bits), "bf16 pattern " + Integer.toHexString(bits));
            }
        }
    }

    @Test
    void everyF16PatternWidensAsFloat16ToFloatDoes() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = allPatterns(arena);
            MemorySegment dst = arena.allocate(4L * PATTERNS);
            Widening.f16ToF32(src, 1, dst, 0, PATTERNS);
            for (int bits = 0; bits < PATTERNS; bits++) {
                int expected = Float.floatToRawIntBits(Float.float16ToFloat((short) bits));
                assertEquals(expected, dst.get(WORD, 4L * bits), "f16 pattern " + Integer.toHexString(bits));
            }
        }
    }

    @Test
    void f32CopyKeepsEveryBitIncludingNanPayloads() {
        try (Arena arena = Arena.ofConfined()) {
            int[] patterns = {0, 0x80000000, 0x7FC00001, 0xFF800123, 0x00000001, 0x3F800000};
            MemorySegment src = arena.allocate(4L * patterns.length);
            for (int i = 0; i < patterns.length; i++) {
                src.set(WORD, 4L * i, patterns[i]);
            }
            MemorySegment dst = arena.allocate(4L * patterns.length + 4);
            Widening.f32Copy(src, 0, dst, 4, patterns.length);
            for (int i = 0; i < patterns.length; i++) {
                assertEquals(patterns[i], dst.get(WORD, 4 + 4L * i));
            }
        }
    }

    @Test
    void narrowingAnExactBf16ValueRoundTripsForEveryNonNanPattern() {
        for (int bits = 0; bits < PATTERNS; bits++) {
            float wide = Widening.bf16ToF32((short) bits);
            if (!Float.isNaN(wide)) {
                assertEquals((short) bits, Widening.f32ToBf16(wide), "bf16 pattern " + Integer.toHexString(bits));
            }
        }
    }

    @Test
    void aTieBetweenTwoBf16ValuesRoundsToTheEvenOne() {
        // 1 + 2^-8 lies exactly halfway between 1.0 (0x3F80, even) and 1 + 2^-7 (0x3F81, odd).
        assertEquals((short) 0x3F80, Widening.f32ToBf16(1.0f + 0x1p-8f));
        // 1 + 3 * 2^-8 lies halfway between 0x3F81 (odd) and 0x3F82 (even): rounds up to even.
        assertEquals((short) 0x3F82, Widening.f32ToBf16(1.0f + 3 * 0x1p-8f));
        // Just above the first tie rounds up.
        assertEquals((short) 0x3F81, Widening.f32ToBf16(Math.nextUp(1.0f + 0x1p-8f)));
        // Negative ties mirror positive ones.
        assertEquals((short) 0xBF80, Widening.f32ToBf16(-(1.0f + 0x1p-8f)));
    }

    @Test
    void theLargestFloatRoundsToInfinityInBf16() {
        assertEquals((short) 0x7F80, Widening.f32ToBf16(Float.MAX_VALUE));
        assertEquals((short) 0xFF80, Widening.f32ToBf16(-Float.MAX_VALUE));
        assertEquals((short) 0x7F80, Widening.f32ToBf16(Float.POSITIVE_INFINITY));
    }

    @Test
    void aNanStaysAQuietNanWithItsSignWhenNarrowed() {
        // A signalling NaN whose payload lives only in the low 16 bits would round into infinity
        // under plain rounding; it must stay NaN.
        float signalling = Float.intBitsToFloat(0xFF800001);
        short narrowed = Widening.f32ToBf16(signalling);
        assertTrue(Float.isNaN(Widening.bf16ToF32(narrowed)));
        assertEquals(0xFFC0, narrowed & 0xFFC0, "sign kept, exponent all ones, quiet bit set");
        assertEquals((short) 0x7FC0, Widening.f32ToBf16(Float.NaN));
    }

    @Test
    void segmentNarrowingMatchesScalarNarrowing() {
        float[] values = {0f, -0f, 1.0f + 0x1p-8f, 3.14159f, 1e-40f, -65504f, Float.NaN};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(4L * values.length);
            for (int i = 0; i < values.length; i++) {
                src.set(FLOAT, 4L * i, values[i]);
            }
            MemorySegment dst = arena.allocate(2L * values.length);
            Widening.f32ToBf16(src, 0, dst, 0, values.length);
            for (int i = 0; i < values.length; i++) {
                assertEquals(Widening.f32ToBf16(values[i]), dst.get(HALF, 2L * i));
            }
        }
    }

    @Test
    void aRangeOutsideTheDestinationIsRejectedBeforeAnythingIsWritten() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(2L * 10);
            MemorySegment dst = arena.allocate(4L * 9);
            assertThrows(IndexOutOfBoundsException.class, () -> Widening.bf16ToF32(src, 0, dst, 0, 10));
            assertEquals(0L, dst.get(ValueLayout.JAVA_LONG, 0), "nothing written");
        }
    }

    @Test
    void wideningMoreThanOneChunkConvertsEveryElement() {
        int count = 10_007;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(2L * count);
            for (int i = 0; i < count; i++) {
                src.set(HALF, 2L * i, Widening.f32ToBf16(i));
            }
            MemorySegment dst = arena.allocate(4L * count);
            Widening.bf16ToF32(src, 0, dst, 0, count);
            for (int i = 0; i < count; i++) {
                assertEquals(Widening.bf16ToF32(Widening.f32ToBf16(i)), dst.get(FLOAT, 4L * i));
            }
        }
    }
}
