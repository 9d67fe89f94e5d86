package org.fpwap.result;

import static java.util.Objects.requireNonNull;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import java.util.OptionalLong;

/**
 * A small heap-backed {@link ActivationRows}, for tests and tiny results.
 *
 * @param hiddenSize the length of every vector, at least 1
 * @param ragged whether rows may hold any number of vectors; when {@code false} each holds exactly one
 * @param rows the rows in dataset order
 */
public record InMemoryActivationRows(int hiddenSize, boolean ragged, List<ActivationRow> rows)
        implements ActivationRows {

    private static final ValueLayout.OfFloat LE_FLOAT =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Validates every row against {@code hiddenSize} and {@code ragged} and copies the list. */
    public InMemoryActivationRows {
        if (hiddenSize < 1) {
            throw new IllegalArgumentException("hiddenSize must be at least 1, got " + hiddenSize);
        }
        rows = List.copyOf(requireNonNull(rows, "rows is null"));
        for (int i = 0; i < rows.size(); i++) {
            ActivationRow row = rows.get(i);
            if (!ragged && row.tokenCount() != 1) {
                throw new IllegalArgumentException("row " + i + " (sample " + row.sampleId() + ") has "
                        + row.tokenCount() + " vectors, but pooled rows hold exactly 1");
            }
            if (row.tokenCount() > 0 && row.vector(0).length != hiddenSize) {
                throw new IllegalArgumentException("row " + i + " (sample " + row.sampleId()
                        + ") has vectors of " + row.vector(0).length + " values, expected hiddenSize "
                        + hiddenSize);
            }
        }
    }

    /**
     * Pooled rows: exactly one vector each.
     *
     * @param hiddenSize the vector length
     * @param rows the rows in dataset order
     * @return the rows
     */
    public static InMemoryActivationRows pooled(int hiddenSize, List<ActivationRow> rows) {
        return new InMemoryActivationRows(hiddenSize, false, rows);
    }

    /**
     * Ragged rows: one vector per real token.
     *
     * @param hiddenSize the vector length
     * @param rows the rows in dataset order
     * @return the rows
     */
    public static InMemoryActivationRows ragged(int hiddenSize, List<ActivationRow> rows) {
        return new InMemoryActivationRows(hiddenSize, true, rows);
    }

    @Override
    public int sampleCount() {
        return rows.size();
    }

    @Override
    public long sampleId(int row) {
        return rows.get(row).sampleId();
    }

    @Override
    public OptionalLong label(int row) {
        return rows.get(row).label();
    }

    @Override
    public int tokenCount(int row) {
        return rows.get(row).tokenCount();
    }

    /** Returns a fresh little-endian heap segment holding the row's values. */
    @Override
    public MemorySegment rowData(int row) {
        ActivationRow r = rows.get(row);
        MemorySegment data = MemorySegment.ofArray(new byte[r.tokenCount() * hiddenSize * Float.BYTES]);
        for (int t = 0; t < r.tokenCount(); t++) {
            float[] v = r.vector(t);
            for (int d = 0; d < hiddenSize; d++) {
                data.setAtIndex(LE_FLOAT, (long) t * hiddenSize + d, v[d]);
            }
        }
        return data;
    }
}
