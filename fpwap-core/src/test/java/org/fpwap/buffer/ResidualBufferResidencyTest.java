package org.fpwap.buffer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import org.fpwap.forward.PaddingSide;
import org.fpwap.io.MappedResidency;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A layer pass over the residual buffer leaves none of it resident: after reading and releasing every
 * microbatch in processing order (as the sweep does), the file's mapping holds at most a few pages in this
 * process, however large the file. Measured in {@code /proc/self/smaps}. Microbatches smaller than the kernel's
 * fault-around window are the case that grew with the data before (each read mapped pages of rows released
 * earlier, which no later release reached).
 */
class ResidualBufferResidencyTest {

    private static final int HIDDEN = 256;
    private static final int SAMPLES = 4096;
    private static final int TOKENS = 3;
    private static final int MICROBATCH = 7; // 21 KiB of rows: less than the usual 64 KiB fault-around window, not aligned to it

    @TempDir
    Path tmp;

    @Test
    void aReadPassInProcessingOrderLeavesTheFileOutOfTheResidentSet() throws Exception {
        Assumptions.assumeTrue(MappedResidency.available(), "needs /proc/self/smaps (Linux)");
        long[] ids = new long[SAMPLES];
        Arrays.setAll(ids, i -> i);
        int[] lengths = new int[SAMPLES];
        Arrays.fill(lengths, TOKENS);
        float[] block = new float[MICROBATCH * TOKENS * HIDDEN];
        Arrays.fill(block, 1.5f);
        try (ResidualBuffer buffer = ResidualBuffer.create(tmp, HIDDEN, ids, lengths, ResidualBuffer.Transport.FP32, false)) {
            long fileBytes = (long) SAMPLES * TOKENS * HIDDEN * Float.BYTES; // 12 MiB
            for (int first = 0; first < SAMPLES; first += MICROBATCH) {
                int count = Math.min(MICROBATCH, SAMPLES - first);
                buffer.writePadded(first, count, TOKENS, PaddingSide.RIGHT, Arrays.copyOf(block, count * TOKENS * HIDDEN));
                buffer.release(first, count);
            }
            long afterWrite = MappedResidency.residentBytes(buffer.path());
            float[] read = new float[block.length];
            double sum = 0;
            int microbatches = 0;
            for (int first = 0; first < SAMPLES; first += MICROBATCH) {
                int count = Math.min(MICROBATCH, SAMPLES - first);
                float[] rows = count == MICROBATCH ? read : new float[count * TOKENS * HIDDEN];
                buffer.readPadded(first, count, TOKENS, PaddingSide.RIGHT, rows);
                sum += rows[0];
                microbatches++;
                buffer.release(first, count);
            }
            long afterRead = MappedResidency.residentBytes(buffer.path());
            assertTrue(sum == 1.5 * microbatches, "the rows read back");
            assertTrue(afterWrite <= 1 << 20, "after the write pass " + afterWrite + " of " + fileBytes + " bytes stayed resident");
            assertTrue(afterRead <= 1 << 20, "after the read pass " + afterRead + " of " + fileBytes
                    + " bytes stayed resident (pages mapped around each read fault were never released)");
        }
    }
}
