package org.fpwap.safetensors;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsFileTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path dir;

    private Path smallFile() {
        return SafetensorsWriter.create(dir.resolve("t.safetensors"))
                .addF32("a", new long[] {2}, new float[] {1f, 2f})
                .addF32("b", new long[] {3}, new float[] {3f, 4f, 5f})
                .write();
    }

    @Test
    void dataIsASliceOfExactlyThatTensorsBytes() {
        try (SafetensorsFile file = SafetensorsFile.open(smallFile())) {
            MemorySegment b = file.data("b");
            assertEquals(12, b.byteSize());
            assertEquals(3f, b.get(F32, 0));
            assertEquals(5f, b.get(F32, 8));
            assertThrows(IndexOutOfBoundsException.class, () -> b.get(F32, 12));
        }
    }

    @Test
    void dataIsReadOnly() {
        try (SafetensorsFile file = SafetensorsFile.open(smallFile())) {
            assertTrue(file.data("a").isReadOnly());
            assertThrows(IllegalArgumentException.class, () -> file.data("a").set(F32, 0, 9f));
        }
    }

    @Test
    void requiringAMissingTensorNamesTheFileAndTheTensor() {
        Path path = smallFile();
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> file.require("c"));
            assertEquals(path, e.file());
            assertEquals("c", e.tensor().orElseThrow());
            assertTrue(e.getMessage().contains(path.toString()) && e.getMessage().contains("\"c\""), e.getMessage());
            assertTrue(file.find("c").isEmpty());
        }
    }

    @Test
    void aSegmentUsedAfterCloseThrowsIllegalStateException() {
        MemorySegment a;
        try (SafetensorsFile file = SafetensorsFile.open(smallFile())) {
            a = file.data("a");
            assertEquals(1f, a.get(F32, 0));
        }
        assertThrows(IllegalStateException.class, () -> a.get(F32, 0));
    }

    @Test
    void askingAClosedFileForDataThrowsIllegalStateException() {
        SafetensorsFile file = SafetensorsFile.open(smallFile());
        file.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> file.data("a"));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void closingTwiceIsHarmless() {
        SafetensorsFile file = SafetensorsFile.open(smallFile());
        file.close();
        file.close();
        assertTrue(file.isClosed());
    }

    @Test
    void aSparseFileLargerThanTwoGigabytesCanBeMappedAndReadNearItsEnd() throws IOException {
        long elements = 600_000_000L;
        long dataBytes = elements * Float.BYTES;
        Assumptions.assumeTrue(Files.getFileStore(dir).getUsableSpace() > dataBytes + (1L << 30),
                "not enough free space for a 2.4 GB (sparse) file");
        Path path = dir.resolve("big.safetensors");
        try {
            String json = "{\"big\":{\"dtype\":\"F32\",\"shape\":[" + elements + "],\"data_offsets\":[0," + dataBytes + "]}}";
            byte[] header = json.getBytes(StandardCharsets.UTF_8);
            ByteBuffer prefix = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
            prefix.putLong(header.length).put(header).flip();
            long dataStart = 8 + header.length;
            try (FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                channel.write(prefix, 0);
            }
            try (RandomAccessFile raf = new RandomAccessFile(path.toFile(), "rw")) {
                raf.setLength(dataStart + dataBytes);
            }
            long lastIndex = elements - 3;
            ByteBuffer value = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, 1234.5f);
            try (FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE)) {
                channel.write(value, dataStart + lastIndex * Float.BYTES);
            }
            try (SafetensorsFile file = SafetensorsFile.open(path)) {
                MemorySegment big = file.data("big");
                assertEquals(dataBytes, big.byteSize());
                assertEquals(1234.5f, big.get(F32, lastIndex * Float.BYTES));
                assertEquals(0f, big.get(F32, (elements - 1) * Float.BYTES));
            }
        } finally {
            Files.deleteIfExists(path);
        }
    }
}
