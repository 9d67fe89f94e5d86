package org.fpwap.buffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.fpwap.buffer.ResidualBuffer.Transport;
import org.fpwap.forward.PaddingSide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ResidualBufferRoundTripTest {
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int HIDDEN = 24;
    /** Dataset-order ids processed in this order, with lengths sorted ascending as the engine does. */
    private static final long[] IDS = {7, 2, 9, 0, 4, 1, 8, 3, 6, 5};
    private static final int[] LENGTHS = {1, 2, 2, 3, 5, 5, 6, 9, 11, 13};

    @TempDir
    Path dir;

    private ResidualBuffer create(Transport transport) {
        return ResidualBuffer.create(dir, HIDDEN, IDS, LENGTHS, transport, false);
    }

    private static void writeAll(ResidualBuffer buffer) {
        for (int p = 0; p < IDS.length; p++) {
            buffer.writeSample(p, Rows.sample(IDS[p], LENGTHS[p], HIDDEN), 0);
        }
    }

    private static void writeGarbage(ResidualBuffer buffer) {
        for (int p = 0; p < IDS.length; p++) {
            float[] garbage = new float[LENGTHS[p] * HIDDEN];
            Arrays.fill(garbage, Float.intBitsToFloat(0xDEADBEEF));
            buffer.writeSample(p, garbage, 0);
        }
    }

    private static void assertBitsEqual(float expected, float actual, String where) {
        assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual), where);
    }

    /** Checks a padded block against the closed-form rows, with pads exactly +0.0f. */
    private static void assertPaddedBlock(int first, int count, int width, PaddingSide side, float[] block) {
        for (int b = 0; b < count; b++) {
            int p = first + b;
            int offset = Rows.offset(side, width, LENGTHS[p]);
            for (int t = 0; t < width; t++) {
                for (int h = 0; h < HIDDEN; h++) {
                    float actual = block[(b * width + t) * HIDDEN + h];
                    boolean real = t >= offset && t < offset + LENGTHS[p];
                    float expected = real ? Rows.value(IDS[p], t - offset, h) : 0.0f;
                    assertBitsEqual(expected, actual, "row " + b + " position " + t + " element " + h + " (" + side + ")");
                }
            }
        }
    }

    @Test
    void samplesWrittenOneByOneReadBackBitExactly() {
        try (ResidualBuffer buffer = create(Transport.FP32)) {
            writeAll(buffer);
            for (int p = IDS.length - 1; p >= 0; p--) {
                float[] dst = new float[LENGTHS[p] * HIDDEN + 5];
                buffer.readSample(p, dst, 5);
                float[] expected = Rows.sample(IDS[p], LENGTHS[p], HIDDEN);
                for (int i = 0; i < expected.length; i++) {
                    assertBitsEqual(expected[i], dst[5 + i], "sample " + IDS[p] + " element " + i);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(PaddingSide.class)
    void paddedReadsPlaceRealRowsAndZeroEveryPadEvenOverGarbage(PaddingSide side) {
        try (ResidualBuffer buffer = create(Transport.FP32)) {
            writeGarbage(buffer);
            writeAll(buffer);
            int first = 3;
            int count = 4;
            int width = 8;
            float[] block = new float[count * width * HIDDEN];
            Arrays.fill(block, Float.NaN);
            buffer.readPadded(first, count, width, side, block);
            assertPaddedBlock(first, count, width, side, block);
        }
    }

    @ParameterizedTest
    @EnumSource(PaddingSide.class)
    void paddedReadsIntoOffHeapMemoryMatchTheClosedFormLittleEndian(PaddingSide side) {
        int first = 5;
        int count = 5;
        int width = 14;
        try (ResidualBuffer buffer = create(Transport.FP32); Arena arena = Arena.ofConfined()) {
            writeAll(buffer);
            MemorySegment block = arena.allocate(4L * count * width * HIDDEN);
            block.fill((byte) 0x7F);
            buffer.readPadded(first, count, width, side, block);
            float[] asArray = new float[count * width * HIDDEN];
            MemorySegment.copy(block, F32_LE, 0, asArray, 0, asArray.length);
            assertPaddedBlock(first, count, width, side, asArray);
        }
    }

    @ParameterizedTest
    @EnumSource(PaddingSide.class)
    void paddedWritesStoreOnlyRealRowsAndLeaveOtherSamplesUntouched(PaddingSide side) {
        int first = 2;
        int count = 4;
        int width = 6;
        try (ResidualBuffer buffer = create(Transport.FP32)) {
            writeAll(buffer);
            // New values: sample id shifted by 1000; pads hold NaN, which must never reach the file.
            float[] block = new float[count * width * HIDDEN];
            Arrays.fill(block, Float.NaN);
            for (int b = 0; b < count; b++) {
                int p = first + b;
                int offset = Rows.offset(side, width, LENGTHS[p]);
                for (int t = 0; t < LENGTHS[p]; t++) {
                    for (int h = 0; h < HIDDEN; h++) {
                        block[(b * width + offset + t) * HIDDEN + h] = Rows.value(IDS[p] + 1000, t, h);
                    }
                }
            }
            buffer.writePadded(first, count, width, side, block);

            for (int p = 0; p < IDS.length; p++) {
                float[] rows = new float[LENGTHS[p] * HIDDEN];
                buffer.readSample(p, rows, 0);
                boolean updated = p >= first && p < first + count;
                float[] expected = Rows.sample(updated ? IDS[p] + 1000 : IDS[p], LENGTHS[p], HIDDEN);
                for (int i = 0; i < rows.length; i++) {
                    assertFalse(Float.isNaN(rows[i]), "a pad NaN leaked into processing index " + p);
                    assertBitsEqual(expected[i], rows[i], "processing index " + p + " element " + i);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(PaddingSide.class)
    void paddedWritesFromOffHeapMemoryRoundTripThroughPaddedReads(PaddingSide side) {
        int first = 0;
        int count = IDS.length;
        int width = 13;
        long bytes = 4L * count * width * HIDDEN;
        try (ResidualBuffer buffer = create(Transport.FP32); Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(bytes);
            for (int b = 0; b < count; b++) {
                int offset = Rows.offset(side, width, LENGTHS[b]);
                for (int t = 0; t < width; t++) {
                    for (int h = 0; h < HIDDEN; h++) {
                        boolean real = t >= offset && t < offset + LENGTHS[b];
                        float v = real ? Rows.value(IDS[b], t - offset, h) : Float.NaN;
                        src.set(F32_LE, 4L * ((b * width + t) * HIDDEN + h), v);
                    }
                }
            }
            buffer.writePadded(first, count, width, side, src);
            float[] block = new float[count * width * HIDDEN];
            buffer.readPadded(first, count, width, side, block);
            assertPaddedBlock(first, count, width, side, block);
        }
    }

    @Test
    void theFileHoldsExactlyTheRealTokensAtFourBytesPerElement() throws IOException {
        int totalTokens = Arrays.stream(LENGTHS).sum();
        try (ResidualBuffer buffer = create(Transport.FP32)) {
            assertEquals(dir.resolve("residual.fp32.bin"), buffer.path());
            assertEquals((long) totalTokens * HIDDEN * 4, Files.size(buffer.path()));
            assertEquals((long) totalTokens * HIDDEN * 4, buffer.fileBytes());
            assertEquals(totalTokens, buffer.totalTokens());
        }
    }

    @Test
    void theBf16FileHoldsExactlyTheRealTokensAtTwoBytesPerElement() throws IOException {
        int totalTokens = Arrays.stream(LENGTHS).sum();
        try (ResidualBuffer buffer = create(Transport.BF16)) {
            assertEquals(dir.resolve("residual.bf16.bin"), buffer.path());
            assertEquals((long) totalTokens * HIDDEN * 2, Files.size(buffer.path()));
        }
    }

    @Test
    void offsetsArePrefixSumsOfTheLengthsInProcessingOrder() {
        try (ResidualBuffer buffer = create(Transport.FP32)) {
            long expected = 0;
            for (int p = 0; p < IDS.length; p++) {
                assertEquals(expected, buffer.offsetOf(p), "offset of processing index " + p);
                assertEquals(LENGTHS[p], buffer.length(p));
                expected += LENGTHS[p];
            }
        }
    }

    @Test
    void countersAddUpTheRealRowBytesAndNotThePadding() {
        int width = 13;
        long realTokens = Arrays.stream(LENGTHS).sum();
        for (Transport transport : Transport.values()) {
            try (ResidualBuffer buffer = ResidualBuffer.create(dir.resolve(transport.name()), HIDDEN, IDS, LENGTHS,
                    transport, false)) {
                long realBytes = realTokens * HIDDEN * transport.bytesPerElement();
                writeAll(buffer);
                assertEquals(realBytes, buffer.bytesWritten(), transport + " after writing every sample");
                assertEquals(0, buffer.bytesRead());
                float[] block = new float[IDS.length * width * HIDDEN];
                buffer.readPadded(0, IDS.length, width, PaddingSide.LEFT, block);
                assertEquals(realBytes, buffer.bytesRead(), transport + " after a padded read");
                buffer.writePadded(0, IDS.length, width, PaddingSide.LEFT, block);
                assertEquals(2 * realBytes, buffer.bytesWritten(), transport + " after a padded write");
                buffer.readSample(9, new float[LENGTHS[9] * HIDDEN], 0);
                assertEquals(realBytes + (long) LENGTHS[9] * HIDDEN * transport.bytesPerElement(), buffer.bytesRead());
            }
        }
    }

    @Test
    void prefetchingARangeChangesNothingVisible() {
        try (ResidualBuffer buffer = create(Transport.FP32)) {
            writeAll(buffer);
            buffer.prefetch(0, IDS.length);
            buffer.prefetch(9, 1);
            float[] block = new float[IDS.length * 13 * HIDDEN];
            buffer.readPadded(0, IDS.length, 13, PaddingSide.RIGHT, block);
            assertPaddedBlock(0, IDS.length, 13, PaddingSide.RIGHT, block);
        }
    }
}
