package org.fpwap.result;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import org.fpwap.callback.Store;
import org.fpwap.io.MappedResidency;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writing and exporting emits keeps their files out of the resident set ({@code /proc/self/smaps}): rows written in
 * scattered order leave at most a few MiB of the emit file resident, a table's rows read by an exporter are dropped
 * when it releases them, and the Arrow writer releases every batch it has read, in order.
 */
class EmitResidencyTest {

    private static final int ROWS = 100_000;
    private static final int WIDTH = 64; // 25.6 MB of F32 rows

    @TempDir
    Path tmp;

    private Path writeScattered(Path dir) {
        int[] lengths = new int[ROWS];
        Arrays.fill(lengths, 1);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(7));
        float[] row = new float[WIDTH];
        long peak = 0;
        try (EmitWriter writer = EmitWriter.create(dir.resolve("emit.safetensors"), lengths, WIDTH, false, Map.of())) {
            int written = 0;
            for (int r : order) {
                Arrays.fill(row, r);
                writer.put(r, row, 0);
                if (++written % 10_000 == 0) {
                    peak = Math.max(peak, residentUnder(dir));
                }
            }
            Path file = writer.commit();
            assertTrue(peak <= 8L << 20, "writing 25.6 MB of rows in scattered order kept " + peak + " bytes of the file resident");
            return file;
        }
    }

    private static long residentUnder(Path dir) {
        try {
            return MappedResidency.residentBytesUnder(dir);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void rowsWrittenInScatteredOrderDoNotStayResident() throws Exception {
        Assumptions.assumeTrue(MappedResidency.available(), "needs /proc/self/smaps (Linux)");
        Path file = writeScattered(Files.createDirectories(tmp.resolve("w")));
        OptionalLong[] labels = new OptionalLong[ROWS];
        Arrays.fill(labels, OptionalLong.empty());
        try (ActivationTable table = ActivationTable.open(file, labels)) {
            for (int r : new int[] {0, 1, ROWS / 2, ROWS - 1}) {
                float[] expected = new float[WIDTH];
                Arrays.fill(expected, r);
                assertArrayEquals(expected, table.vector(r), "row " + r + " kept its values");
            }
        }
    }

    @Test
    void aTableDropsTheRowsAnExporterReleased() throws Exception {
        Assumptions.assumeTrue(MappedResidency.available(), "needs /proc/self/smaps (Linux)");
        Path file = writeScattered(Files.createDirectories(tmp.resolve("t")));
        OptionalLong[] labels = new OptionalLong[ROWS];
        Arrays.fill(labels, OptionalLong.empty());
        try (ActivationTable table = ActivationTable.open(file, labels)) {
            double sum = 0;
            for (int r = 0; r < ROWS; r++) {
                sum += table.rowData(r).getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, 0);
            }
            long read = MappedResidency.residentBytes(file);
            table.release(0, ROWS);
            long released = MappedResidency.residentBytes(file);
            assertEquals((double) ROWS * (ROWS - 1) / 2, sum, 0);
            assertTrue(read >= 20L << 20, "reading every row mapped the file (" + read + " bytes): the check below means something");
            assertTrue(released <= 1L << 20, "after release " + released + " bytes stayed resident");
        }
    }

    @Test
    void theArrowWriterReleasesEveryBatchInOrder() throws Exception {
        Path file = writeScattered(Files.createDirectories(tmp.resolve("a")));
        OptionalLong[] labels = new OptionalLong[ROWS];
        Arrays.fill(labels, OptionalLong.empty());
        List<int[]> released = new ArrayList<>();
        try (ActivationTable table = ActivationTable.open(file, labels)) {
            ActivationRows recording = new ActivationRows() {
                @Override public int hiddenSize() { return table.hiddenSize(); }
                @Override public int sampleCount() { return table.sampleCount(); }
                @Override public boolean ragged() { return table.ragged(); }
                @Override public long sampleId(int row) { return table.sampleId(row); }
                @Override public OptionalLong label(int row) { return table.label(row); }
                @Override public int tokenCount(int row) { return table.tokenCount(row); }
                @Override public MemorySegment rowData(int row) { return table.rowData(row); }
                @Override public void release(int fromRow, int toRow) { released.add(new int[] {fromRow, toRow}); }
            };
            ArrowActivationWriter.write(recording, tmp.resolve("a.arrow"));
        }
        assertTrue(released.size() >= 2, "25.6 MB of rows go out in several batches of at most 1 MiB");
        int next = 0;
        for (int[] range : released) {
            assertEquals(next, range[0], "batches are released in order, without gaps");
            assertTrue(range[1] > range[0]);
            next = range[1];
        }
        assertEquals(ROWS, next, "every row was released");
    }
}
