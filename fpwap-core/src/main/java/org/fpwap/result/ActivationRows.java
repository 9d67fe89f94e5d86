package org.fpwap.result;

import java.lang.foreign.MemorySegment;
import java.util.OptionalLong;
import org.fpwap.callback.Store;

/**
 * Activations for one (layer, hook), in dataset order, readable row by row (a row is one sample).
 *
 * <p>Implementations are typically views over memory-mapped storage filled by the extraction
 * pipeline; {@link InMemoryActivationRows} is a small heap-backed one for tests. Exporters such as
 * {@link ArrowActivationWriter} read every row once, in order, from a single thread.
 */
public interface ActivationRows {

    /** {@return the number of float32 values in one vector (the model's hidden size), at least 1} */
    int hiddenSize();

    /** {@return the number of rows (samples), at least 0} */
    int sampleCount();

    /**
     * Whether rows hold a variable number of vectors.
     *
     * @return {@code false} when every row holds exactly one vector (a pooled emit), {@code true}
     *     when row {@code i} holds {@link #tokenCount(int) tokenCount(i)} vectors, one per real token
     */
    boolean ragged();

    /**
     * The dataset's identifier of the sample in a row.
     *
     * @param row the row index, {@code 0 <= row < sampleCount()}
     * @return the sample id
     */
    long sampleId(int row);

    /**
     * The label of the sample in a row.
     *
     * @param row the row index, {@code 0 <= row < sampleCount()}
     * @return the label, or empty when the sample has none (written as null)
     */
    OptionalLong label(int row);

    /**
     * Number of vectors in a row.
     *
     * @param row the row index, {@code 0 <= row < sampleCount()}
     * @return 1 when not {@link #ragged()}, otherwise the number of real tokens (at least 0)
     */
    int tokenCount(int row);

    /**
     * The activation values of a row.
     *
     * @param row the row index, {@code 0 <= row < sampleCount()}
     * @return exactly {@code tokenCount(row) * hiddenSize()} little-endian float32 values, token-major;
     *     the segment only needs to stay valid until the next call on this object
     */
    MemorySegment rowData(int row);

    /** {@return how the rows are stored; {@link Store#F32} unless the implementation says otherwise} */
    default Store store() {
        return Store.F32;
    }

    /**
     * A row's values in their stored encoding ({@link #store()}): little-endian float32, little-endian
     * bfloat16 bit patterns, or int8, {@code tokenCount(row) * hiddenSize()} of them, token-major.
     *
     * @param row the row index, {@code 0 <= row < sampleCount()}
     * @return the values; valid until the next call on this object
     */
    default MemorySegment storedRowData(int row) {
        if (store() != Store.F32) {
            throw new UnsupportedOperationException(getClass().getName() + " stores " + store().wireName()
                    + " but does not override storedRowData");
        }
        return rowData(row);
    }

    /**
     * Int8 rows only: the scale of each of a row's vectors ({@code value = int8 × scale}).
     *
     * @param row the row index, {@code 0 <= row < sampleCount()}
     * @return {@code tokenCount(row)} little-endian float32 scales
     */
    default MemorySegment rowScales(int row) {
        throw new UnsupportedOperationException("rows stored as " + store().wireName() + " have no scales");
    }

    /**
     * Tells the rows that an exporter has read rows {@code [fromRow, toRow)} and will not read them again, so
     * storage mapped into memory may drop their pages from the process's resident set (the data stays where it
     * is). Exporters call it after each batch, which keeps converting a file larger than memory from growing the
     * resident set with the file. Nothing to do for heap-backed rows.
     *
     * @param fromRow the first row read
     * @param toRow one past the last row read
     */
    default void release(int fromRow, int toRow) {}
}
