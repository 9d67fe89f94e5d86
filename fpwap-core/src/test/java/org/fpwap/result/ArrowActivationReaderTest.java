package org.fpwap.result;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArrowActivationReaderTest {

    @TempDir
    Path dir;

    @Test
    void randomAccessInAnyOrderMatchesTheSourceRows() throws IOException {
        InMemoryActivationRows rows = TestRows.ragged(4, 20, 3, 1, 4, 1, 5, 9, 2, 6);
        Path file = dir.resolve("acts.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            ArrowActivationWriter.write(rows, file, allocator, new BatchLimits(1 << 20, 3));
            try (ArrowActivationReader reader = ArrowActivationReader.open(file, allocator)) {
                for (int i : new int[] {7, 0, 3, 6, 2, 5, 1, 4}) {
                    assertEquals(rows.rows().get(i), reader.row(i), "row " + i);
                }
            }
        }
    }

    @Test
    void aRowOutsideTheFileIsRejectedNamingTheFileAndRowCount() throws IOException {
        Path file = dir.resolve("acts.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            ArrowActivationWriter.write(TestRows.pooled(3, 4, 21), file, allocator);
            try (ArrowActivationReader reader = ArrowActivationReader.open(file, allocator)) {
                var e = assertThrows(IndexOutOfBoundsException.class, () -> reader.row(3));
                assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("3 rows"),
                        e.getMessage());
            }
        }
    }

    @Test
    void anArrowFileWithoutActivationMetadataIsRejectedNamingTheFile() throws IOException {
        Path file = dir.resolve("other.arrow");
        Schema schema = new Schema(List.of(new Field("x", FieldType.notNullable(new ArrowType.Int(64, true)), null)));
        try (BufferAllocator allocator = new RootAllocator()) {
            try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
                    FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW,
                            StandardOpenOption.WRITE);
                    ArrowFileWriter writer =
                            new ArrowFileWriter(root, new DictionaryProvider.MapDictionaryProvider(), channel)) {
                writer.start();
                ((BigIntVector) root.getVector("x")).allocateNew(1);
                ((BigIntVector) root.getVector("x")).set(0, 42);
                root.setRowCount(1);
                writer.writeBatch();
                writer.end();
            }
            var e = assertThrows(IllegalArgumentException.class,
                    () -> ArrowActivationReader.open(file, allocator));
            assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("hidden_size"),
                    e.getMessage());
        }
    }

    @Test
    void aFileThatIsNotArrowIsRejectedNamingTheFile() throws IOException {
        Path file = Files.writeString(dir.resolve("notes.arrow"), "definitely not an Arrow IPC file");
        try (BufferAllocator allocator = new RootAllocator()) {
            var e = assertThrows(IOException.class, () -> ArrowActivationReader.open(file, allocator));
            assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        }
    }

    @Test
    void aMissingFileIsRejectedNamingTheFile() {
        Path file = dir.resolve("missing.arrow");
        var e = assertThrows(IOException.class, () -> ArrowActivationReader.open(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void closingTheReaderReleasesAllArrowMemory() throws IOException {
        Path file = dir.resolve("acts.arrow");
        try (RootAllocator allocator = new RootAllocator()) {
            ArrowActivationWriter.write(TestRows.pooled(10, 8, 22), file, allocator);
            ArrowActivationReader reader = ArrowActivationReader.open(file, allocator);
            reader.row(9);
            assertTrue(allocator.getAllocatedMemory() > 0);
            reader.close();
            assertEquals(0, allocator.getAllocatedMemory());
            assertTrue(allocator.getChildAllocators().isEmpty());
        }
    }
}
