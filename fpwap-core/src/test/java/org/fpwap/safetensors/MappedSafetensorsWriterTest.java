package org.fpwap.safetensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MappedSafetensorsWriterTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path dir;

    private List<Path> filesInDir() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.toList();
        }
    }

    @Test
    void committedTensorsFilledInAnyOrderReadBackIdentically() throws IOException {
        Path target = dir.resolve("acts.safetensors");
        try (MappedSafetensorsWriter writer = MappedSafetensorsWriter.create(target)
                .metadata("layer", "2")
                .declare("acts", DType.F32, new long[] {3, 2})
                .declare("ids", DType.I64, new long[] {3})
                .declare("unfilled", DType.F32, new long[] {2})
                .open()) {
            MemorySegment ids = writer.segment("ids");
            for (int i = 0; i < 3; i++) {
                ids.set(I64, 8L * i, 100 + i);
            }
            MemorySegment acts = writer.segment("acts");
            for (int i = 0; i < 6; i++) {
                acts.set(F32, 4L * i, i * 0.5f);
            }
            assertFalse(Files.exists(target), "nothing at the target before commit");
            writer.commit();
        }
        assertEquals(List.of(target), filesInDir());
        SafetensorsWriter.create(dir.resolve("expected.safetensors")).metadata("layer", "2")
                .addF32("acts", new long[] {3, 2}, new float[] {0f, 0.5f, 1f, 1.5f, 2f, 2.5f})
                .addI64("ids", new long[] {3}, new long[] {100, 101, 102})
                .addF32("unfilled", new long[] {2}, new float[2])
                .write();
        assertArrayEquals(Files.readAllBytes(dir.resolve("expected.safetensors")), Files.readAllBytes(target),
                "the mapped writer produces the same bytes as the heap writer");
    }

    @Test
    void closingWithoutCommitLeavesNoTargetAndNoTemporaryFile() throws IOException {
        Path target = dir.resolve("acts.safetensors");
        try (MappedSafetensorsWriter writer = MappedSafetensorsWriter.create(target)
                .declare("acts", DType.F32, new long[] {4})
                .open()) {
            writer.segment("acts").set(F32, 0, 1f);
            assertEquals(1, filesInDir().size(), "the temporary file exists while writing");
        }
        assertFalse(Files.exists(target));
        assertEquals(List.of(), filesInDir());
    }

    @Test
    void segmentsAreInaccessibleAfterCommit() {
        Path target = dir.resolve("acts.safetensors");
        MemorySegment acts;
        try (MappedSafetensorsWriter writer = MappedSafetensorsWriter.create(target)
                .declare("acts", DType.F32, new long[] {4}).open()) {
            acts = writer.segment("acts");
            writer.commit();
            assertThrows(IllegalStateException.class, () -> writer.segment("acts"));
            assertThrows(IllegalStateException.class, writer::commit);
        }
        assertThrows(IllegalStateException.class, () -> acts.get(F32, 0));
    }

    @Test
    void askingForAnUndeclaredTensorIsRejected() {
        try (MappedSafetensorsWriter writer = MappedSafetensorsWriter.create(dir.resolve("a.safetensors"))
                .declare("acts", DType.F32, new long[] {4}).open()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> writer.segment("other"));
            assertTrue(e.getMessage().contains("other") && e.getMessage().contains("[acts]"), e.getMessage());
        }
    }

    @Test
    void aTensorLargerThanTwoGigabytesCanBeDeclaredAndWrittenSparsely() throws IOException {
        long elements = 600_000_000L;
        org.junit.jupiter.api.Assumptions.assumeTrue(
                Files.getFileStore(dir).getUsableSpace() > elements * 4 + (1L << 30), "not enough free space");
        Path target = dir.resolve("big.safetensors");
        try {
            try (MappedSafetensorsWriter writer = MappedSafetensorsWriter.create(target)
                    .declare("big", DType.F32, new long[] {elements}).open()) {
                MemorySegment big = writer.segment("big");
                assertEquals(elements * 4, big.byteSize());
                big.set(F32, (elements - 1) * 4, 7.25f);
                writer.commit();
            }
            try (SafetensorsFile file = SafetensorsFile.open(target)) {
                assertEquals(7.25f, file.data("big").get(F32, (elements - 1) * 4));
            }
        } finally {
            Files.deleteIfExists(target);
        }
    }
}
