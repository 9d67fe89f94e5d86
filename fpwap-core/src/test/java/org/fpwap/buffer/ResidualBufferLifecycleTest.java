package org.fpwap.buffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import org.fpwap.buffer.ResidualBuffer.Transport;
import org.fpwap.forward.PaddingSide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResidualBufferLifecycleTest {
    private static final long[] IDS = {0, 1};
    private static final int[] LENGTHS = {2, 3};

    @TempDir
    Path dir;

    @Test
    void closingWithoutKeepDeletesTheFile() {
        Path path;
        try (ResidualBuffer buffer = ResidualBuffer.create(dir, 4, IDS, LENGTHS, Transport.FP32, false)) {
            path = buffer.path();
            assertTrue(Files.exists(path));
        }
        assertFalse(Files.exists(path));
    }

    @Test
    void closingWithKeepLeavesTheWrittenRowsOnDisk() throws IOException {
        Path path;
        try (ResidualBuffer buffer = ResidualBuffer.create(dir, 4, IDS, LENGTHS, Transport.FP32, true)) {
            path = buffer.path();
            buffer.writeSample(1, new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 0);
        }
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(5 * 4 * 4, bytes.capacity());
        assertEquals(0.0f, bytes.getFloat(0), "sample 0 was never written");
        for (int i = 0; i < 12; i++) {
            assertEquals(i + 1, bytes.getFloat(4 * (8 + i)), "element " + i + " of sample 1");
        }
    }

    @Test
    void closingTwiceIsHarmless() {
        ResidualBuffer buffer = ResidualBuffer.create(dir, 4, IDS, LENGTHS, Transport.BF16, false);
        buffer.close();
        buffer.close();
        assertTrue(buffer.isClosed());
    }

    @Test
    void everyRowOperationAfterCloseThrowsIllegalState() {
        ResidualBuffer buffer = ResidualBuffer.create(dir, 4, IDS, LENGTHS, Transport.FP32, false);
        buffer.close();
        float[] block = new float[2 * 3 * 4];
        assertThrows(IllegalStateException.class, () -> buffer.writeSample(0, new float[8], 0));
        assertThrows(IllegalStateException.class, () -> buffer.readSample(0, new float[8], 0));
        assertThrows(IllegalStateException.class, () -> buffer.readPadded(0, 2, 3, PaddingSide.LEFT, block));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> buffer.writePadded(0, 2, 3, PaddingSide.RIGHT, block));
        assertTrue(e.getMessage().contains(buffer.path().toString()), e.getMessage());
        assertThrows(IllegalStateException.class, () -> buffer.prefetch(0, 1));
        assertThrows(IllegalStateException.class, buffer::force);
        assertEquals(5, buffer.totalTokens(), "the tables stay readable");
    }

    @Test
    void creatingOverAnExistingFileReplacesIt() throws IOException {
        Path stale = dir.resolve("residual.fp32.bin");
        Files.write(stale, new byte[1000]);
        try (ResidualBuffer buffer = ResidualBuffer.create(dir, 4, IDS, LENGTHS, Transport.FP32, false)) {
            assertEquals(stale, buffer.path());
            assertEquals(5 * 4 * 4, Files.size(stale));
        }
    }

    @Test
    void aMissingWorkingDirectoryIsCreated() {
        Path nested = dir.resolve("run/work");
        try (ResidualBuffer buffer = ResidualBuffer.create(nested, 4, IDS, LENGTHS, Transport.FP32, false)) {
            assertEquals(nested.resolve("residual.fp32.bin"), buffer.path());
        }
    }
}
