package org.fpwap.result;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.OptionalLong;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.fpwap.callback.Store;

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
    private static final ValueLayout.OfShort SOURCE_SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort ARROW_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;

    private final ActivationRows rows;
    private final VectorSchemaRoot root;
    private final int hiddenSize;
    private final Store store;

    BatchFiller(ActivationRows rows, VectorSchemaRoot root) {
        this.rows = rows;
        this.root = root;
        this.hiddenSize = rows.hiddenSize();
        this.store = rows.store();
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
        copyValues((BaseFixedWidthVector) vectors.getDataVector(), from, n, n);
        if (store == Store.INT8) {
            Float4Vector scales = (Float4Vector) root.getVector(ActivationLayout.SCALE);
            scales.allocateNew(n);
            copyScales(scales, from, n, n);
        }
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
        copyValues((BaseFixedWidthVector) vectors.getDataVector(), from, n, tokenCount);
        if (store == Store.INT8) {
            ListVector scaleLists = (ListVector) root.getVector(ActivationLayout.SCALE);
            Float4Vector scales = (Float4Vector) scaleLists.getDataVector();
            scaleLists.setInitialCapacity(n);
            scales.setInitialCapacity(tokenCount);
            scaleLists.allocateNew();
            for (int i = 0; i < n; i++) {
                scaleLists.startNewValue(i);
                scaleLists.endValue(i, rows.tokenCount(from + i));
            }
            scaleLists.setValueCount(n);
            copyScales(scales, from, n, tokenCount);
        }
    }

    /**
     * Copies the rows' stored values (FP32, BF16 bits or int8, as {@link ActivationRows#store()} says) into
     * {@code values}, which is sized for {@code tokenCount} vectors.
     */
    private void copyValues(BaseFixedWidthVector values, int from, int n, int tokenCount) {
        int valueCount = checkedFloatIndex((long) tokenCount * hiddenSize, from, n);
        values.setValueCount(valueCount);
        setAllValid(values.getValidityBuffer(), valueCount);
        ArrowBuf data = values.getDataBuffer();
        MemorySegment target = MemorySegment.ofAddress(data.memoryAddress()).reinterpret(data.capacity());
        int width = values.getTypeWidth();
        long offset = 0;
        for (int i = 0; i < n; i++) {
            MemorySegment source = rows.storedRowData(from + i);
            long count = (long) rows.tokenCount(from + i) * hiddenSize;
            if (source.byteSize() != count * width) {
                throw new IllegalArgumentException(rowName(from + i) + ": rowData holds " + source.byteSize()
                        + " bytes, expected tokenCount " + rows.tokenCount(from + i) + " x hiddenSize "
                        + hiddenSize + " x " + width + " = " + count * width);
            }
            switch (store) {
                case F32 -> MemorySegment.copy(source, SOURCE_FLOAT, 0, target, ARROW_FLOAT, offset * width, count);
                case BF16 -> MemorySegment.copy(source, SOURCE_SHORT, 0, target, ARROW_SHORT, offset * width, count);
                case INT8 -> MemorySegment.copy(source, 0, target, offset, count);
            }
            offset += count;
        }
    }

    /** Copies the rows' int8 scales (one per vector) into {@code scales}, sized for {@code tokenCount} vectors. */
    private void copyScales(Float4Vector scales, int from, int n, int tokenCount) {
        scales.setValueCount(tokenCount);
        setAllValid(scales.getValidityBuffer(), tokenCount);
        ArrowBuf data = scales.getDataBuffer();
        MemorySegment target = MemorySegment.ofAddress(data.memoryAddress()).reinterpret(data.capacity());
        long offset = 0;
        for (int i = 0; i < n; i++) {
            int count = rows.tokenCount(from + i);
            MemorySegment.copy(rows.rowScales(from + i), SOURCE_FLOAT, 0, target, ARROW_FLOAT, offset * Float.BYTES, count);
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
