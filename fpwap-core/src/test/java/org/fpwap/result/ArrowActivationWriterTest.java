package org.fpwap.result;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArrowActivationWriterTest {

    private static final ArrowType INT64 = new ArrowType.Int(64, true);
    private static final ArrowType FLOAT32 = new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);

    @TempDir
    Path dir;

    @Test
    void pooledRowsRoundTripBitExactWithIdsAndNullLabels() throws IOException {
        InMemoryActivationRows rows = TestRows.pooled(50, 16, 1);
        Path file = dir.resolve("pooled.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            ArrowActivationWriter.write(rows, file, allocator);
            try (ArrowActivationReader reader = ArrowActivationReader.open(file, allocator)) {
                assertEquals(16, reader.hiddenSize());
                assertFalse(reader.ragged());
                assertEquals(50, reader.rowCount());
                assertEquals(rows.rows(), reader.readAll());
            }
        }
    }

    @Test
    void pooledSchemaHasExactTypesNullabilityListSizeAndMetadata() throws IOException {
        Path file = dir.resolve("pooled.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            ArrowActivationWriter.write(TestRows.pooled(3, 12, 2), file, allocator);
            Schema schema = rawSchema(file, allocator);

            assertColumn(schema.getFields().get(0), "sample_id", INT64, false);
            assertColumn(schema.getFields().get(1), "label", INT64, true);
            Field activation = schema.getFields().get(2);
            assertColumn(activation, "activation", new ArrowType.FixedSizeList(12), false);
            assertEquals(1, activation.getChildren().size());
            assertColumn(activation.getChildren().get(0), "item", FLOAT32, false);
            assertEquals(3, schema.getFields().size());
            assertEquals(Map.of("hidden_size", "12", "ragged", "false"), schema.getCustomMetadata());
        }
    }

    @Test
    void raggedRowsRoundTripWithVaryingTokenCountsIncludingOneToken() throws IOException {
        InMemoryActivationRows rows = TestRows.ragged(8, 3, 5, 1, 17, 2, 1, 9, 0, 3);
        Path file = dir.resolve("ragged.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            ArrowActivationWriter.write(rows, file, allocator);
            try (ArrowActivationReader reader = ArrowActivationReader.open(file, allocator)) {
                assertTrue(reader.ragged());
                assertEquals(8, reader.rowCount());
                List<ActivationRow> read = reader.readAll();
                assertEquals(rows.rows(), read);
                assertEquals(1, read.get(1).tokenCount());
                assertEquals(17, read.get(2).tokenCount());
            }
        }
    }

    @Test
    void raggedSchemaIsAListOfFixedSizeFloatVectors() throws IOException {
        Path file = dir.resolve("ragged.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            ArrowActivationWriter.write(TestRows.ragged(4, 4, 2, 1), file, allocator);
            Schema schema = rawSchema(file, allocator);

            Field activation = schema.getFields().get(2);
            assertColumn(activation, "activation", ArrowType.List.INSTANCE, false);
            Field vector = activation.getChildren().get(0);
            assertColumn(vector, "item", new ArrowType.FixedSizeList(4), false);
            assertColumn(vector.getChildren().get(0), "item", FLOAT32, false);
            assertEquals(Map.of("hidden_size", "4", "ragged", "true"), schema.getCustomMetadata());
        }
    }

    @Test
    void pooledRowsSplitIntoManyBatchesReadBackIdentically() throws IOException {
        InMemoryActivationRows rows = TestRows.pooled(103, 8, 5);
        Path file = dir.resolve("batched.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            ArrowActivationWriter.write(rows, file, allocator, new BatchLimits(10 * 8 * Float.BYTES, 1000));
            try (ArrowActivationReader reader = ArrowActivationReader.open(file, allocator)) {
                assertEquals(11, reader.batchCount());
                assertEquals(rows.rows(), reader.readAll());
                assertEquals(rows.rows().get(57), reader.row(57));
                assertEquals(rows.rows().get(3), reader.row(3));
            }
        }
    }

    @Test
    void raggedRowsSplitByRowLimitAndOversizedSamplesReadBackIdentically() throws IOException {
        InMemoryActivationRows rows = TestRows.ragged(4, 6, 1, 40, 2, 2, 1, 0, 3, 50, 1, 1, 1);
        Path file = dir.resolve("batched-ragged.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            ArrowActivationWriter.write(rows, file, allocator, new BatchLimits(10 * 4 * Float.BYTES, 3));
            try (ArrowActivationReader reader = ArrowActivationReader.open(file, allocator)) {
                assertTrue(reader.batchCount() > 4, "batches: " + reader.batchCount());
                assertEquals(rows.rows(), reader.readAll());
            }
        }
    }

    @Test
    void batchBuffersAreFreedSoMemoryStaysBoundedByOneBatch() throws IOException {
        int hiddenSize = 64;
        long batchBytes = 16 * 1024;
        try (RootAllocator allocator = new RootAllocator()) {
            ArrowActivationWriter.write(TestRows.pooled(2000, hiddenSize, 7), dir.resolve("big.arrow"), allocator,
                    new BatchLimits(batchBytes, 1 << 16));
            long totalFloatBytes = 2000L * hiddenSize * Float.BYTES;
            assertTrue(allocator.getPeakMemoryAllocation() < 4 * batchBytes,
                    "peak " + allocator.getPeakMemoryAllocation() + " for " + totalFloatBytes + " bytes of data");
            assertEquals(0, allocator.getAllocatedMemory());
            assertTrue(allocator.getChildAllocators().isEmpty());
        }
    }

    @Test
    void zeroRowsGiveAValidEmptyFileWithTheFullSchema() throws IOException {
        Path file = dir.resolve("empty.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            ArrowActivationWriter.write(InMemoryActivationRows.ragged(32, List.of()), file, allocator);
            try (ArrowActivationReader reader = ArrowActivationReader.open(file, allocator)) {
                assertEquals(0, reader.rowCount());
                assertEquals(32, reader.hiddenSize());
                assertTrue(reader.ragged());
                assertEquals(List.of(), reader.readAll());
                assertEquals(new ActivationLayout(32, true).schema(), reader.schema());
            }
        }
    }

    @Test
    void aSourceFailingMidWriteLeavesNeitherTargetNorTempFile() throws IOException {
        Path file = dir.resolve("failed.arrow");
        var failing = new TestRows.FailingRows(TestRows.pooled(40, 8, 8), 25);
        try (BufferAllocator allocator = new RootAllocator()) {
            var e = assertThrows(IllegalStateException.class, () ->
                    ArrowActivationWriter.write(failing, file, allocator, new BatchLimits(1 << 20, 10)));
            assertEquals("storage failed at row 25", e.getMessage());
        }
        assertFalse(Files.exists(file));
        assertEquals(List.of(), listDir());
    }

    @Test
    void aFailedWriteKeepsThePreviousFileUnderTheTargetName() throws IOException {
        Path file = dir.resolve("kept.arrow");
        InMemoryActivationRows original = TestRows.pooled(5, 8, 9);
        try (BufferAllocator allocator = new RootAllocator()) {
            ArrowActivationWriter.write(original, file, allocator);
            assertThrows(IllegalStateException.class, () ->
                    ArrowActivationWriter.write(new TestRows.FailingRows(TestRows.pooled(9, 8, 10), 0), file,
                            allocator));
            try (ArrowActivationReader reader = ArrowActivationReader.open(file, allocator)) {
                assertEquals(original.rows(), reader.readAll());
            }
        }
        assertEquals(List.of(file), listDir());
    }

    @Test
    void aSecondWriteReplacesTheFile() throws IOException {
        Path file = dir.resolve("replaced.arrow");
        InMemoryActivationRows second = TestRows.ragged(8, 12, 2, 3);
        try (BufferAllocator allocator = new RootAllocator()) {
            ArrowActivationWriter.write(TestRows.pooled(5, 8, 11), file, allocator);
            ArrowActivationWriter.write(second, file, allocator);
            try (ArrowActivationReader reader = ArrowActivationReader.open(file, allocator)) {
                assertEquals(second.rows(), reader.readAll());
            }
        }
    }

    @Test
    void theFileGetsTheSamePermissionsAsAnyNewFile() throws IOException {
        Path file = dir.resolve("perms.arrow");
        ArrowActivationWriter.write(TestRows.pooled(2, 4, 17), file);
        Path plain = Files.createFile(dir.resolve("plain"));
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(file));
    }

    @Test
    void writingIntoAMissingDirectoryNamesThePath() {
        Path file = dir.resolve("no-such-dir").resolve("acts.arrow");
        var e = assertThrows(IOException.class,
                () -> ArrowActivationWriter.write(TestRows.pooled(2, 4, 13), file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void writingBelowARegularFileNamesThePath() throws IOException {
        Path notADir = Files.writeString(dir.resolve("plain.txt"), "x");
        Path file = notADir.resolve("acts.arrow");
        var e = assertThrows(IOException.class,
                () -> ArrowActivationWriter.write(TestRows.pooled(2, 4, 14), file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("not a directory"), e.getMessage());
    }

    @Test
    void writingIntoAReadOnlyDirectoryNamesThePath() throws IOException {
        Path readOnly = Files.createDirectory(dir.resolve("read-only"));
        assertTrue(readOnly.toFile().setWritable(false, false));
        try {
            org.junit.jupiter.api.Assumptions.assumeFalse(Files.isWritable(readOnly),
                    "running as a user that may write anywhere (root)");
            Path file = readOnly.resolve("acts.arrow");
            var e = assertThrows(IOException.class,
                    () -> ArrowActivationWriter.write(TestRows.pooled(2, 4, 15), file));
            assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        } finally {
            readOnly.toFile().setWritable(true, false);
        }
    }

    @Test
    void rowDataOfTheWrongSizeIsRejectedNamingTheRow() throws IOException {
        ActivationRows lying = new TestRows.ClaimedHiddenSize(TestRows.pooled(3, 4, 16), 5);
        try (BufferAllocator allocator = new RootAllocator()) {
            var e = assertThrows(IllegalArgumentException.class,
                    () -> ArrowActivationWriter.write(lying, dir.resolve("bad.arrow"), allocator));
            assertTrue(e.getMessage().contains("row 0 (sample 1000)"), e.getMessage());
        }
        assertEquals(List.of(), listDir());
    }

    private List<Path> listDir() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.toList();
        }
    }

    /** The schema as Arrow itself reads it, without going through our reader. */
    private static Schema rawSchema(Path file, BufferAllocator allocator) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
                ArrowFileReader reader = new ArrowFileReader(channel, allocator)) {
            return reader.getVectorSchemaRoot().getSchema();
        }
    }

    private static void assertColumn(Field field, String name, ArrowType type, boolean nullable) {
        assertEquals(name, field.getName());
        assertEquals(type, field.getType(), name);
        assertEquals(nullable, field.isNullable(), name + " nullability");
    }
}
