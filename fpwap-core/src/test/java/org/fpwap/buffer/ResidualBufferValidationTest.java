package org.fpwap.buffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;

import org.fpwap.buffer.ResidualBuffer.Transport;
import org.fpwap.forward.PaddingSide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResidualBufferValidationTest {
    private static final long[] IDS = {10, 11, 12, 13};
    private static final int[] LENGTHS = {2, 3, 5, 7};
    private static final int HIDDEN = 4;

    @TempDir
    Path dir;

    private ResidualBuffer create() {
        return ResidualBuffer.create(dir, HIDDEN, IDS, LENGTHS, Transport.FP32, false);
    }

    private static void assertMentions(Exception e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "expected \"" + part + "\" in: " + e.getMessage());
        }
    }

    @Test
    void aMicrobatchPastTheLastSampleIsRejectedWithItsRange() {
        try (ResidualBuffer buffer = create()) {
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                    () -> buffer.readPadded(2, 3, 7, PaddingSide.LEFT, new float[3 * 7 * HIDDEN]));
            assertMentions(e, "[2, 5)", "4 samples");
        }
    }

    @Test
    void aNegativeOrEmptyMicrobatchIsRejected() {
        try (ResidualBuffer buffer = create()) {
            assertThrows(IndexOutOfBoundsException.class,
                    () -> buffer.writePadded(-1, 1, 7, PaddingSide.LEFT, new float[7 * HIDDEN]));
            assertThrows(IndexOutOfBoundsException.class,
                    () -> buffer.readPadded(0, 0, 7, PaddingSide.LEFT, new float[0]));
        }
    }

    @Test
    void aWidthShorterThanASampleNamesTheSampleItsLengthAndTheWidth() {
        try (ResidualBuffer buffer = create()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> buffer.writePadded(1, 3, 4, PaddingSide.RIGHT, new float[3 * 4 * HIDDEN]));
            assertMentions(e, "width 4", "length 5", "processing index 2");
        }
    }

    @Test
    void aBlockOfTheWrongLengthNamesBothLengths() {
        try (ResidualBuffer buffer = create(); Arena arena = Arena.ofConfined()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> buffer.readPadded(0, 2, 3, PaddingSide.LEFT, new float[2 * 3 * HIDDEN + 1]));
            assertMentions(e, "24 floats", "got 25");
            IllegalArgumentException s = assertThrows(IllegalArgumentException.class,
                    () -> buffer.writePadded(0, 2, 3, PaddingSide.LEFT, arena.allocate(100)));
            assertMentions(s, "96 bytes", "got 100");
        }
    }

    @Test
    void aSampleArrayTooShortForItsRowsIsRejected() {
        try (ResidualBuffer buffer = create()) {
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                    () -> buffer.writeSample(3, new float[30], 3));
            assertMentions(e, "processing index 3", "7 tokens", "28 floats", "length 30", "[3, 31)");
            assertThrows(IndexOutOfBoundsException.class, () -> buffer.readSample(0, new float[8], 1));
            assertThrows(IndexOutOfBoundsException.class, () -> buffer.readSample(4, new float[100], 0));
        }
    }

    @Test
    void aFailedCallMovesNoBytes() {
        try (ResidualBuffer buffer = create()) {
            assertThrows(IllegalArgumentException.class,
                    () -> buffer.writePadded(0, 4, 6, PaddingSide.LEFT, new float[4 * 6 * HIDDEN]));
            assertEquals(0, buffer.bytesWritten());
        }
    }

    @Test
    void nonPositiveLengthsAndMismatchedArraysAreRejected() {
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                () -> ResidualBuffer.create(dir, HIDDEN, new long[] {0, 1}, new int[] {4, 0}, Transport.FP32, false));
        assertMentions(zero, "positive", "sample id 1", "processing index 1");
        IllegalArgumentException mismatch = assertThrows(IllegalArgumentException.class,
                () -> ResidualBuffer.create(dir, HIDDEN, new long[] {0, 1}, new int[] {4}, Transport.FP32, false));
        assertMentions(mismatch, "2 ids", "1 lengths");
        assertThrows(IllegalArgumentException.class,
                () -> ResidualBuffer.create(dir, 0, IDS, LENGTHS, Transport.FP32, false));
        assertThrows(IllegalArgumentException.class,
                () -> ResidualBuffer.create(dir, HIDDEN, new long[0], new int[0], Transport.FP32, false));
    }

    @Test
    void tooLittleFreeSpaceIsReportedWithThePathAndBothByteCountsBeforeCreatingAnything() {
        InsufficientDiskSpaceException e = assertThrows(InsufficientDiskSpaceException.class,
                () -> ResidualBuffer.create(dir, HIDDEN, IDS, LENGTHS, Transport.FP32, false, directory -> 100));
        long needed = 17L * HIDDEN * 4;
        assertEquals(needed, e.bytesNeeded());
        assertEquals(100, e.bytesFree());
        assertMentions(e, dir.resolve("residual.fp32.bin").toString(), needed + " bytes", "100 bytes");
        assertFalse(Files.exists(dir.resolve("residual.fp32.bin")));
    }

    @Test
    void anAbsurdlyLargeBufferFailsTheRealFreeSpaceCheck() {
        int hidden = 1 << 20;
        int tokens = 240_000_000; // × 2^20 × 4 bytes ≈ 1.0e15 bytes
        long needed = (long) tokens * hidden * 4;
        InsufficientDiskSpaceException e = assertThrows(InsufficientDiskSpaceException.class,
                () -> ResidualBuffer.create(dir, hidden, new long[] {0}, new int[] {tokens}, Transport.FP32, false));
        assertMentions(e, dir.toString(), needed + " bytes");
        assertFalse(Files.exists(dir.resolve("residual.fp32.bin")));
    }

    @Test
    void fileBytesForPredictsTheFileSize() {
        assertEquals(17L * HIDDEN * 4, ResidualBuffer.fileBytesFor(HIDDEN, 17, Transport.FP32));
        assertEquals(17L * HIDDEN * 2, ResidualBuffer.fileBytesFor(HIDDEN, 17, Transport.BF16));
        try (ResidualBuffer buffer = create()) {
            assertEquals(ResidualBuffer.fileBytesFor(HIDDEN, 17, Transport.FP32), buffer.fileBytes());
        }
    }
}
