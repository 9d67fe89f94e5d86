package org.fpwap.buffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.fpwap.buffer.ResidualBuffer.Transport;
import org.fpwap.forward.PaddingSide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResidualBufferLargeFileTest {
    private static final int HIDDEN = 4096;
    private static final int SAMPLES = 140;
    private static final int LENGTH = 1000; // 140 000 tokens × 4096 × 4 bytes ≈ 2.29 GB

    @TempDir
    Path dir;

    @Test
    void aFileBeyondTwoGigabytesIsReservedAndItsLastSamplesRoundTrip() throws IOException {
        long fileBytes = (long) SAMPLES * LENGTH * HIDDEN * 4;
        assumeTrue(Files.getFileStore(dir).getUsableSpace() > fileBytes + (1L << 30),
                "needs " + fileBytes + " bytes of free disk in " + dir);
        long[] ids = new long[SAMPLES];
        int[] lengths = new int[SAMPLES];
        for (int i = 0; i < SAMPLES; i++) {
            ids[i] = SAMPLES - 1 - i;
            lengths[i] = LENGTH;
        }
        Path path;
        try (ResidualBuffer buffer = ResidualBuffer.create(dir, HIDDEN, ids, lengths, Transport.FP32, false)) {
            path = buffer.path();
            assertTrue(buffer.fileBytes() > (1L << 31));
            assertEquals(fileBytes, Files.size(path));
            // Processing index 131 starts at token 131 000 and straddles byte 2^31 (token 131 072).
            int straddling = 131;
            int last = SAMPLES - 1;
            for (int p : new int[] {straddling, last}) {
                buffer.writeSample(p, Rows.sample(ids[p], LENGTH, HIDDEN), 0);
            }
            float[] back = new float[LENGTH * HIDDEN];
            for (int p : new int[] {straddling, last}) {
                buffer.readSample(p, back, 0);
                assertSample(ids[p], back, 0);
            }
            float[] block = new float[2 * (LENGTH + 1) * HIDDEN];
            buffer.readPadded(last - 1, 2, LENGTH + 1, PaddingSide.LEFT, block);
            for (int h = 0; h < HIDDEN; h++) {
                assertEquals(0, Float.floatToRawIntBits(block[h]), "the untouched sample reads as zero");
            }
            assertSample(ids[last], block, (LENGTH + 1 + 1) * HIDDEN);
        }
        assertFalse(Files.exists(path), "closing without keep deletes the 2 GB file");
    }

    private static void assertSample(long id, float[] actual, int from) {
        float[] expected = Rows.sample(id, LENGTH, HIDDEN);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[from + i])) {
                assertEquals(expected[i], actual[from + i], "sample " + id + " element " + i);
            }
        }
    }
}
