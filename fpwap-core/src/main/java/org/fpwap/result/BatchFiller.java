package org.fpwap.result;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.OptionalLong;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.ListVector;

/**
 * Fills a {@link VectorSchemaRoot} of {@link ActivationLayout#schema()} with a range of rows.
 *
 * <p>Float values are copied in bulk from each row's segment straight into the Arrow data buffer;
 * validity bitmaps of the non-nullable columns are set to all-valid in bulk.
 */
final class BatchFiller {

    private static final ValueLayout.OfFloat SOURCE_FLOAT =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Arrow buffers are in native order; the copy byte-swaps only on big-endian hosts. */
    private static final ValueLayout.OfFloat ARROW_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final ActivationRows rows;
    private final VectorSchemaRoot root;
    private final int hiddenSize;

    BatchFiller(ActivationRows rows, VectorSchemaRoot root) {
        this.rows = rows;
        this.root = root;
        this.hiddenSize = rows.hiddenSize();
    }

    /**
     * Replaces the root's contents with rows {@code [from, to)}; the previous batch's buffers are freed.
     *
     * @param from the first row, inclusive
     * @param to the last row, exclusive, greater than {@code from}
     */
    void fill(int from, int to) {
        root.clear();
        int n = to - from;
        fillIds(from, n);
        if (rows.ragged()) {
            fillRagged(from, n);
        } else {
            fillPooled(from, n);
        }
        root.setRowCount(n);
    }

    private void fillIds(int from, int n) {
        BigIntVector ids = (BigIntVector) root.getVector(ActivationLayout.SAMPLE_ID);
        BigIntVector labels = (BigIntVector) root.getVector(ActivationLayout.LABEL);
        ids.allocateNew(n);
        labels.allocateNew(n);
        for (int i = 0; i < n; i++) {
            ids.set(i, rows.sampleId(from + i));
            OptionalLong label = rows.label(from + i);
            if (label.isPresent()) {
                labels.set(i, label.getAsLong());
            } else {
                labels.setNull(i);
            }
        }
    }

    private void fillPooled(int from, int n) {
        FixedSizeListVector vectors = (FixedSizeListVector) root.getVector(ActivationLayout.ACTIVATION);
        for (int i = 0; i < n; i++) {
            int tokens = rows.tokenCount(from + i);
            if (tokens != 1) {
                throw new IllegalArgumentException(rowName(from + i) + " has tokenCount " + tokens
                        + ", but pooled (non-ragged) rows must have exactly 1");
            }
        }
        vectors.setInitialCapacity(n);
        vectors.allocateNew();
        vectors.setValueCount(n);
        setAllValid(vectors.getValidityBuffer(), n);
        copyFloats((Float4Vector) vectors.getDataVector(), from, n, n);
    }

    private void fillRagged(int from, int n) {
        ListVector lists = (ListVector) root.getVector(ActivationLayout.ACTIVATION);
        FixedSizeListVector vectors = (FixedSizeListVector) lists.getDataVector();
        long totalTokens = 0;
        for (int i = 0; i < n; i++) {
            int tokens = rows.tokenCount(from + i);
            if (tokens < 0) {
                throw new IllegalArgumentException(rowName(from + i) + " has negative tokenCount " + tokens);
            }
            totalTokens += tokens;
        }
        int tokenCount = checkedFloatIndex(totalTokens, from, n);
        lists.setInitialCapacity(n);
        vectors.setInitialCapacity(tokenCount);
        lists.allocateNew();
        for (int i = 0; i < n; i++) {
            lists.startNewValue(i);
            lists.endValue(i, rows.tokenCount(from + i));
        }
        lists.setValueCount(n);
        vectors.setValueCount(tokenCount);
        setAllValid(vectors.getValidityBuffer(), tokenCount);
        copyFloats((Float4Vector) vectors.getDataVector(), from, n, tokenCount);
    }

    /** Copies the rows' values into {@code floats}, which is sized for {@code tokenCount} vectors. */
    private void copyFloats(Float4Vector floats, int from, int n, int tokenCount) {
        int floatCount = checkedFloatIndex((long) tokenCount * hiddenSize, from, n);
        floats.setValueCount(floatCount);
        setAllValid(floats.getValidityBuffer(), floatCount);
        ArrowBuf data = floats.getDataBuffer();
        MemorySegment target = MemorySegment.ofAddress(data.memoryAddress()).reinterpret(data.capacity());
        long offset = 0;
        for (int i = 0; i < n; i++) {
            MemorySegment source = rows.rowData(from + i);
            long count = (long) rows.tokenCount(from + i) * hiddenSize;
            if (source.byteSize() != count * Float.BYTES) {
                throw new IllegalArgumentException(rowName(from + i) + ": rowData holds " + source.byteSize()
                        + " bytes, expected tokenCount " + rows.tokenCount(from + i) + " x hiddenSize "
                        + hiddenSize + " x 4 = " + count * Float.BYTES);
            }
            MemorySegment.copy(source, SOURCE_FLOAT, 0, target, ARROW_FLOAT, offset * Float.BYTES, count);
            offset += count;
        }
    }

    private int checkedFloatIndex(long count, int from, int n) {
        if (count > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("rows " + from + ".." + (from + n - 1) + " hold " + count
                    + " values in one Arrow batch, more than Arrow's limit of " + Integer.MAX_VALUE
                    + "; a single sample this large cannot be written");
        }
        return (int) count;
    }

    private String rowName(int row) {
        return "row " + row + " (sample " + rows.sampleId(row) + ")";
    }

    /** Marks the first {@code count} entries of a validity bitmap as non-null. */
    private static void setAllValid(ArrowBuf validity, long count) {
        long fullBytes = count / Byte.SIZE;
        validity.setOne(0L, fullBytes);
        int remainder = (int) (count % Byte.SIZE);
        if (remainder > 0) {
            validity.setByte(fullBytes, (1 << remainder) - 1);
        }
    }
}
