package org.fpwap.buffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

import org.fpwap.buffer.ResidualBuffer.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResidualBufferPermutationTest {
    @TempDir
    Path dir;

    @Test
    void processingIndexOfInvertsSampleIdForLengthSortedInterleavedSamples() {
        // Dataset order: lengths 30, 2, 29, 3, 28, 4, ... Processing order: sorted by length.
        int n = 20;
        int[] datasetLengths = new int[n];
        for (int i = 0; i < n; i++) {
            datasetLengths[i] = i % 2 == 0 ? 30 - i / 2 : 2 + i / 2;
        }
        Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingInt(i -> datasetLengths[i]));
        long[] ids = new long[n];
        int[] lengths = new int[n];
        for (int p = 0; p < n; p++) {
            ids[p] = order[p];
            lengths[p] = datasetLengths[order[p]];
        }
        try (ResidualBuffer buffer = ResidualBuffer.create(dir, 2, ids, lengths, Transport.FP32, false)) {
            for (int p = 0; p < n; p++) {
                assertEquals(p, buffer.processingIndexOf(buffer.sampleId(p)), "processing index " + p);
            }
            for (long id = 0; id < n; id++) {
                int p = buffer.processingIndexOf(id);
                assertEquals(id, buffer.sampleId(p));
                assertEquals(datasetLengths[(int) id], buffer.length(p), "sample " + id + " keeps its length");
            }
            for (int p = 1; p < n; p++) {
                assertTrue(buffer.length(p - 1) <= buffer.length(p), "lengths stay in processing order");
            }
        }
    }

    @Test
    void sparseLargeSampleIdsAreInvertedToo() {
        long[] ids = {1_000_000_000_007L, 3, Long.MAX_VALUE, 42_000_000_000L};
        try (ResidualBuffer buffer = ResidualBuffer.create(dir, 2, ids, new int[] {1, 2, 3, 4}, Transport.FP32, false)) {
            for (int p = 0; p < ids.length; p++) {
                assertEquals(p, buffer.processingIndexOf(ids[p]));
            }
        }
    }

    @Test
    void anUnknownSampleIdIsRejectedByName() {
        try (ResidualBuffer buffer = ResidualBuffer.create(dir, 2, new long[] {0, 1}, new int[] {1, 1}, Transport.FP32, false)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> buffer.processingIndexOf(7));
            assertTrue(e.getMessage().contains("sample id 7"), e.getMessage());
        }
    }

    @Test
    void aRepeatedSampleIdIsRejectedWithBothPositions() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ResidualBuffer.create(dir, 2, new long[] {5, 6, 5}, new int[] {1, 1, 1}, Transport.FP32, false));
        assertTrue(e.getMessage().contains("sample id 5") && e.getMessage().contains("0 and 2"), e.getMessage());
    }

    @Test
    void aNegativeSampleIdIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ResidualBuffer.create(dir, 2, new long[] {0, -3}, new int[] {1, 1}, Transport.FP32, false));
        assertTrue(e.getMessage().contains("-3"), e.getMessage());
    }
}
