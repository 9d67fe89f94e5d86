package org.fpwap.result;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;

/** Builders of deterministic test rows, including awkward float bit patterns. */
final class TestRows {

    /** Floats whose bits a lossy copy would change: NaN payloads, signed zero, subnormals, infinities. */
    static final float[] SPECIAL = {
        Float.intBitsToFloat(0x7fc00123), Float.intBitsToFloat(0xffc00001), -0.0f, 0.0f,
        Float.MIN_VALUE, -Float.MIN_NORMAL, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
        Float.MAX_VALUE, 1.0f / 3.0f,
    };

    private TestRows() {}

    /** Pooled rows; every third sample has no label; row 0 starts with the special values. */
    static InMemoryActivationRows pooled(int count, int hiddenSize, long seed) {
        Random random = new Random(seed);
        List<ActivationRow> rows = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            float[] v = randomVector(random, hiddenSize);
            if (i == 0) {
                System.arraycopy(SPECIAL, 0, v, 0, Math.min(SPECIAL.length, hiddenSize));
            }
            rows.add(ActivationRow.of(1000L + 7L * i, labelFor(i), v));
        }
        return InMemoryActivationRows.pooled(hiddenSize, rows);
    }

    /** Ragged rows with the given token counts; every third sample has no label. */
    static InMemoryActivationRows ragged(int hiddenSize, long seed, int... tokenCounts) {
        Random random = new Random(seed);
        List<ActivationRow> rows = new ArrayList<>();
        for (int i = 0; i < tokenCounts.length; i++) {
            float[][] vectors = new float[tokenCounts[i]][];
            for (int t = 0; t < vectors.length; t++) {
                vectors[t] = randomVector(random, hiddenSize);
            }
            if (i == 0 && vectors.length > 0) {
                System.arraycopy(SPECIAL, 0, vectors[0], 0, Math.min(SPECIAL.length, hiddenSize));
            }
            rows.add(new ActivationRow(-5L + i, labelFor(i), vectors));
        }
        return InMemoryActivationRows.ragged(hiddenSize, rows);
    }

    private static OptionalLong labelFor(int i) {
        return i % 3 == 2 ? OptionalLong.empty() : OptionalLong.of(i % 2 == 0 ? -i : Long.MAX_VALUE - i);
    }

    private static float[] randomVector(Random random, int hiddenSize) {
        float[] v = new float[hiddenSize];
        for (int d = 0; d < hiddenSize; d++) {
            v[d] = (float) random.nextGaussian();
        }
        return v;
    }

    /** Delegates to {@code source} but throws from {@code rowData(failingRow)}. */
    record FailingRows(ActivationRows source, int failingRow) implements ActivationRows {
        @Override public int hiddenSize() { return source.hiddenSize(); }
        @Override public int sampleCount() { return source.sampleCount(); }
        @Override public boolean ragged() { return source.ragged(); }
        @Override public long sampleId(int row) { return source.sampleId(row); }
        @Override public OptionalLong label(int row) { return source.label(row); }
        @Override public int tokenCount(int row) { return source.tokenCount(row); }

        @Override
        public MemorySegment rowData(int row) {
            if (row == failingRow) {
                throw new IllegalStateException("storage failed at row " + row);
            }
            return source.rowData(row);
        }
    }

    /** Delegates to {@code source} but claims a different hidden size than its row data has. */
    record ClaimedHiddenSize(ActivationRows source, int hiddenSize) implements ActivationRows {
        @Override public int sampleCount() { return source.sampleCount(); }
        @Override public boolean ragged() { return source.ragged(); }
        @Override public long sampleId(int row) { return source.sampleId(row); }
        @Override public OptionalLong label(int row) { return source.label(row); }
        @Override public int tokenCount(int row) { return source.tokenCount(row); }
        @Override public MemorySegment rowData(int row) { return source.rowData(row); }
    }
}
