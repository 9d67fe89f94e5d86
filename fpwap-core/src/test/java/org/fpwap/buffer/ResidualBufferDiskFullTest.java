package org.fpwap.buffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.fpwap.buffer.ResidualBuffer.Transport;
import org.fpwap.io.DiskSpaceException;
import org.fpwap.io.SmallTmpfs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The residual buffer's file gets its blocks before it is mapped: when the disk filled up after the free-space
 * check (another process wrote to it), creating the buffer fails with the path and the bytes, rather than a
 * later store into the mapping crashing the JVM with SIGBUS.
 */
class ResidualBufferDiskFullTest {

    @TempDir
    Path dir;

    @Test
    void aDiskThatFilledAfterTheSpaceCheckFailsCreationNamingTheFileAndLeavesNothing() throws Exception {
        try (SmallTmpfs fs = SmallTmpfs.mount(dir.resolve("small"), 1 << 20)) {
            Path work = fs.root().resolve("work");
            Path existing = Files.writeString(fs.root().resolve("kept.txt"), "written before the run");
            int hidden = 64;
            int tokens = 8 * 1024; // 2 MiB of FP32 rows on a 1 MiB file system
            // A probe that still saw free space: the space check passes, the reservation must catch it.
            ResidualBuffer.SpaceProbe stale = directory -> Long.MAX_VALUE / 2;
            DiskSpaceException e = assertThrows(DiskSpaceException.class, () -> ResidualBuffer.create(work, hidden,
                    new long[] {0, 1}, new int[] {tokens / 2, tokens / 2}, Transport.FP32, false, stale));
            Path file = work.resolve(Transport.FP32.fileName());
            assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
            assertTrue(e.getMessage().contains("the residual buffer"), e.getMessage());
            assertTrue(e.getMessage().contains("2,097,152 bytes"), e.getMessage());
            assertFalse(Files.exists(file), "the partly reserved file is deleted");
            assertEquals("written before the run", Files.readString(existing));
        }
    }

    @Test
    void aBufferThatFitsIsFullyAllocatedSoEveryRowCanBeWrittenOnAFullDisk() throws Exception {
        try (SmallTmpfs fs = SmallTmpfs.mount(dir.resolve("small"), 1 << 20)) {
            int hidden = 64;
            int length = 256; // 2 × 256 × 64 × 4 = 128 KiB
            try (ResidualBuffer buffer = ResidualBuffer.create(fs.root(), hidden, new long[] {0, 1},
                    new int[] {length, length}, Transport.FP32, false)) {
                fs.fillUp("filler.bin");
                for (int p = 0; p < 2; p++) {
                    buffer.writeSample(p, Rows.sample(p, length, hidden), 0);
                }
                float[] back = new float[length * hidden];
                buffer.readSample(1, back, 0);
                assertEquals(Rows.sample(1, length, hidden)[length * hidden - 1], back[length * hidden - 1]);
            }
        }
    }
}
