package org.fpwap.dataset;

import static org.fpwap.dataset.ArrowTestFiles.Format.FILE;
import static org.fpwap.dataset.ArrowTestFiles.Format.STREAM;
import static org.fpwap.dataset.ArrowTestFiles.IdsType.LIST_INT32;
import static org.fpwap.dataset.ArrowTestFiles.IdsType.LIST_INT64;
import static org.fpwap.dataset.ArrowTestFiles.rows;
import static org.fpwap.dataset.Samples.MIXED;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.fpwap.dataset.ArrowTestFiles.Format;
import org.fpwap.dataset.ArrowTestFiles.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every cursor gives back its file handle and native memory on close. Arrow cursors here allocate
 * from a test-owned {@link RootAllocator} closed by try-with-resources, which throws if any child
 * allocator or buffer is still open: a leak fails the test.
 */
class CursorResourcesTest {
    @TempDir
    Path dir;

    /** Open descriptors of this process that point at {@code file} (Linux {@code /proc}). */
    private static long openHandles(Path file) throws IOException {
        Path fds = Path.of("/proc/self/fd");
        assumeTrue(Files.isDirectory(fds), "needs /proc/self/fd");
        Path target = file.toRealPath();
        try (Stream<Path> list = Files.list(fds)) {
            return list.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).equals(target);
                } catch (IOException e) {
                    return false; // the descriptor of the listing itself, closed meanwhile
                }
            }).count();
        }
    }

    @Test
    void aJsonlCursorHoldsTheFileOpenUntilClosed() throws IOException {
        Path file = Samples.writeJsonl(dir.resolve("p.jsonl"), MIXED);
        SampleCursor cursor = Dataset.jsonl(file).open();
        cursor.next();
        assertEquals(1, openHandles(file));
        cursor.close();
        assertEquals(0, openHandles(file));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Format.class)
    void anArrowCursorReleasesItsBuffersAndFileOnClose(Format format) throws IOException {
        Path file = ArrowTestFiles.write(dir.resolve("p.arrow"), format, LIST_INT64, 64, 2, rows(MIXED));
        try (RootAllocator root = new RootAllocator()) {
            SampleCursor cursor = Dataset.arrow(file, root).open();
            cursor.next();
            assertTrue(root.getAllocatedMemory() > 0, "the batch is allocated from the caller's allocator");
            assertEquals(1, openHandles(file));
            cursor.close();
            assertEquals(0, root.getAllocatedMemory());
            assertTrue(root.getChildAllocators().isEmpty(), "the per-pass child allocator is closed");
            assertEquals(0, openHandles(file));
        }
    }

    @Test
    void anArrowCursorAbandonedAfterAnErrorStillReleasesEverything() throws IOException {
        List<Row> rows = new ArrayList<>(rows(MIXED));
        rows.set(3, new Row(null, null));
        Path file = ArrowTestFiles.write(dir.resolve("bad.arrow"), STREAM, LIST_INT32, 0, 2, rows);
        try (RootAllocator root = new RootAllocator()) {
            assertThrows(DatasetException.class, () -> DatasetScanner.scan(Dataset.arrow(file, root), 128, 16));
            assertTrue(root.getChildAllocators().isEmpty());
            assertEquals(0, openHandles(file));
        }
    }

    @Test
    void anArrowFileRejectedAtOpenLeavesNothingOpen() throws IOException {
        Schema schema = new Schema(List.of(new Field("input_ids", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));
        Path file = ArrowTestFiles.write(dir.resolve("utf8.arrow"), FILE, schema, 2, List.of());
        try (RootAllocator root = new RootAllocator()) {
            assertThrows(DatasetException.class, () -> Dataset.arrow(file, root).open());
            assertTrue(root.getChildAllocators().isEmpty());
            assertEquals(0, openHandles(file));
        }
    }

    @Test
    void aNonArrowFileRejectedAtOpenLeavesNothingOpen() throws IOException {
        Path file = Samples.writeJsonl(dir.resolve("p.jsonl"), MIXED);
        try (RootAllocator root = new RootAllocator()) {
            assertThrows(DatasetException.class, () -> Dataset.arrow(file, root).open());
            assertTrue(root.getChildAllocators().isEmpty());
            assertEquals(0, openHandles(file));
        }
    }

    @Test
    void anArrowCursorWithItsOwnAllocatorClosesWithoutALeak() throws IOException {
        Path file = ArrowTestFiles.write(dir.resolve("p.arrow"), FILE, LIST_INT32, 64, 2, rows(MIXED));
        SampleCursor cursor = Dataset.arrow(file).open();
        cursor.next();
        assertDoesNotThrow(cursor::close); // its RootAllocator throws on close if a buffer is outstanding
        assertEquals(0, openHandles(file));
    }

    @Test
    void closingACursorTwiceIsHarmlessAndEndsIt() throws IOException {
        Path jsonl = Samples.writeJsonl(dir.resolve("p.jsonl"), MIXED);
        Path arrow = ArrowTestFiles.write(dir.resolve("p.arrow"), FILE, LIST_INT32, 64, 2, rows(MIXED));
        for (Dataset dataset : List.of(Dataset.jsonl(jsonl), Dataset.arrow(arrow), Dataset.of(MIXED))) {
            SampleCursor cursor = dataset.open();
            cursor.next();
            cursor.close();
            assertDoesNotThrow(cursor::close, dataset.description());
            assertFalse(cursor.hasNext(), dataset.description());
        }
    }

    @Test
    void eachPassOpensItsOwnCursorSoTwoPassesCanOverlap() throws IOException {
        Path file = ArrowTestFiles.write(dir.resolve("p.arrow"), STREAM, LIST_INT32, 64, 2, rows(MIXED));
        Dataset dataset = Dataset.arrow(file);
        try (SampleCursor first = dataset.open(); SampleCursor second = dataset.open()) {
            first.next();
            first.next();
            assertEquals(0, second.next().id());
            assertEquals(2, first.next().id());
        }
    }
}
