package org.fpwap.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpaceReservationTest {

    @TempDir
    Path dir;

    @Test
    void aReservationLargerThanTheFileSystemIsADiskSpaceErrorNamingTheFileAndTheBytes() throws Exception {
        try (SmallTmpfs fs = SmallTmpfs.mount(dir.resolve("small"), 1 << 20)) {
            Path file = fs.root().resolve("big.bin");
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                DiskSpaceException e = assertThrows(DiskSpaceException.class,
                        () -> SpaceReservation.reserve(channel, file, 4L << 20, "the test file"));
                assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
                assertTrue(e.getMessage().contains("4,194,304 bytes"), e.getMessage());
                assertTrue(e.getMessage().contains("the test file"), e.getMessage());
                assertEquals(4L << 20, e.bytesNeeded());
            }
        }
    }

    @Test
    void aReservedFileCanBeMappedAndFilledWhenTheFileSystemIsFullAfterwards() throws Exception {
        try (SmallTmpfs fs = SmallTmpfs.mount(dir.resolve("small"), 2 << 20)) {
            Path file = fs.root().resolve("reserved.bin");
            long bytes = 1 << 20;
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE); Arena arena = Arena.ofShared()) {
                SpaceReservation.reserve(channel, file, bytes, "the test file");
                // Another writer takes every block that is left.
                fs.fillUp("filler.bin");
                MemorySegment mapping = channel.map(FileChannel.MapMode.READ_WRITE, 0, bytes, arena);
                mapping.fill((byte) 7); // without the reservation this store is a SIGBUS
                assertEquals(7, mapping.get(ValueLayout.JAVA_BYTE, bytes - 1));
            }
        }
    }

    @Test
    void reservingKeepsTheBytesAlreadyInTheFile() throws IOException {
        Path file = dir.resolve("header-first.bin");
        Files.writeString(file, "header");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            SpaceReservation.reserve(channel, file, 1 << 16, "the test file");
        }
        byte[] bytes = Files.readAllBytes(file);
        assertEquals(1 << 16, bytes.length);
        assertArrayEquals("header".getBytes(StandardCharsets.US_ASCII), java.util.Arrays.copyOf(bytes, 6));
        for (int i = 6; i < bytes.length; i++) {
            assertEquals(0, bytes[i], "byte " + i);
        }
    }

    @Test
    void aFullDiskIsRecognisedInTheJdksWording() {
        assertTrue(SpaceReservation.isNoSpace(new IOException("No space left on device")));
        assertTrue(SpaceReservation.isNoSpace(new IOException("wrapped", new IOException("Disk quota exceeded"))));
        assertTrue(!SpaceReservation.isNoSpace(new IOException("Permission denied")));
    }
}
