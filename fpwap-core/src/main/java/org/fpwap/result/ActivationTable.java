package org.fpwap.result;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.fpwap.callback.Store;
import org.fpwap.io.PageAdvice;
import org.fpwap.safetensors.SafetensorsFile;
import org.fpwap.safetensors.TensorInfo;
import org.fpwap.safetensors.Widening;

/**
 * One (callback, layer, hook)'s emitted activations, in dataset order, read from the mapped file the
 * sweep wrote (never loaded whole). Row {@code i} is sample {@code i}: one vector, or one per real token.
 *
 * <p>{@link #vectors(int)} and {@link #rowData(int)} always give FP32 (BF16 widened exactly, int8
 * dequantized as {@code q × scale}). For streaming without conversion, {@link #storedData()},
 * {@link #storedRowData(int)} and {@link #scales()} expose the mapped bytes as they are on disk.
 */
public final class ActivationTable implements ActivationRows, AutoCloseable {

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final SafetensorsFile file;
    private final MemorySegment activations;
    private final MemorySegment offsets;
    private final Store store;
    /** Int8 only. */
    private final MemorySegment scales;
    private final OptionalLong[] labels;
    private final int width;
    private final int rows;

    private ActivationTable(SafetensorsFile file, OptionalLong[] labels) {
        this.file = file;
        TensorInfo info = file.require("activations");
        this.activations = file.data("activations");
        this.store = switch (info.dtype()) {
            case F32 -> Store.F32;
            case BF16 -> Store.BF16;
            case I8 -> Store.INT8;
            default -> throw new IllegalArgumentException(file.path() + ": tensor activations has dtype " + info.dtype()
                    + "; expected F32, BF16 or I8");
        };
        if (store == Store.INT8 && file.find("scales").isEmpty()) {
            throw new IllegalArgumentException(file.path() + ": int8 activations need a 'scales' F32 tensor, which is missing");
        }
        this.scales = store == Store.INT8 ? file.data("scales") : null;
        this.offsets = file.find("offsets").isPresent() ? file.data("offsets") : null;
        this.width = (int) info.shape()[1];
        this.rows = (int) file.require("sample_ids").shape()[0];
        if (labels.length != rows) {
            throw new IllegalArgumentException(file.path() + " has " + rows + " rows but " + labels.length + " labels were given");
        }
        this.labels = labels.clone();
    }

    /** Opens a file written by {@link EmitWriter}; {@code labels} are the dataset's, in dataset order. */
    public static ActivationTable open(Path path, OptionalLong[] labels) {
        SafetensorsFile file = SafetensorsFile.open(path);
        boolean success = false;
        try {
            ActivationTable table = new ActivationTable(file, labels);
            success = true;
            return table;
        } finally {
            if (!success) {
                file.close();
            }
        }
    }

    /** The file the table reads. */
    public Path path() {
        return file.path();
    }

    @Override
    public int hiddenSize() {
        return width;
    }

    @Override
    public int sampleCount() {
        return rows;
    }

    @Override
    public boolean ragged() {
        return offsets != null;
    }

    @Override
    public long sampleId(int row) {
        return row;
    }

    @Override
    public OptionalLong label(int row) {
        return labels[row];
    }

    @Override
    public int tokenCount(int row) {
        return (int) (firstVector(row + 1) - firstVector(row));
    }

    /**
     * The index of sample {@code row}'s first vector in {@link #storedData()} and {@link #scales()}: {@code row}
     * when pooled, its offset when ragged.
     */
    public long firstVector(int row) {
        return offsets == null ? row : offsets.getAtIndex(LONG, row);
    }

    /** FP32 values, decoded into a fresh heap segment when the file is compressed. */
    @Override
    public MemorySegment rowData(int row) {
        if (store == Store.F32) {
            return storedRowData(row);
        }
        float[][] v = vectors(row);
        MemorySegment out = MemorySegment.ofArray(new byte[v.length * width * Float.BYTES]);
        for (int t = 0; t < v.length; t++) {
            MemorySegment.copy(v[t], 0, out, FLOAT, (long) t * width * Float.BYTES, width);
        }
        return out;
    }

    @Override
    public Store store() {
        return store;
    }

    /** The mapped values of sample {@code row} as stored (F32, BF16 bits or int8), zero copy. */
    @Override
    public MemorySegment storedRowData(int row) {
        long bytes = (long) width * bytesPerValue();
        return activations.asSlice(firstVector(row) * bytes, tokenCount(row) * bytes);
    }

    /** Int8 only: the mapped scales of sample {@code row}'s vectors, zero copy. */
    @Override
    public MemorySegment rowScales(int row) {
        return scales().asSlice(firstVector(row) * Float.BYTES, (long) tokenCount(row) * Float.BYTES);
    }

    /** The whole mapped {@code activations} tensor as stored, {@code [vectors, width]}, zero copy. */
    public MemorySegment storedData() {
        return activations;
    }

    /** Int8 only: the whole mapped {@code scales} tensor, one little-endian float32 per stored vector, zero copy. */
    public MemorySegment scales() {
        if (scales == null) {
            throw new IllegalStateException(path() + " stores " + store.wireName() + " activations, which have no scales");
        }
        return scales;
    }

    private int bytesPerValue() {
        return switch (store) {
            case F32 -> Float.BYTES;
            case BF16 -> 2;
            case INT8 -> 1;
        };
    }

    /** Sample {@code row}'s vectors as FP32 {@code [tokens][width]} (one row unless ragged), dequantized if needed. */
    public float[][] vectors(int row) {
        float[][] out = new float[tokenCount(row)][width];
        MemorySegment data = storedRowData(row);
        for (int t = 0; t < out.length; t++) {
            long base = (long) t * width;
            switch (store) {
                case F32 -> MemorySegment.copy(data, FLOAT, base * Float.BYTES, out[t], 0, width);
                case BF16 -> Widening.bf16ToF32(data, base * 2, MemorySegment.ofArray(out[t]), 0, width);
                case INT8 -> {
                    float scale = scales.getAtIndex(FLOAT, firstVector(row) + t);
                    for (int i = 0; i < width; i++) {
                        out[t][i] = data.get(ValueLayout.JAVA_BYTE, base + i) * scale;
                    }
                }
            }
        }
        return out;
    }

    /** Sample {@code row}'s single vector (pooled tables). */
    public float[] vector(int row) {
        if (ragged()) {
            throw new IllegalStateException(path() + " holds one vector per token; use vectors(row)");
        }
        return vectors(row)[0];
    }

    /** Drops the mapped pages of rows {@code [fromRow, toRow)} from the resident set (they stay in the file). */
    @Override
    public void release(int fromRow, int toRow) {
        if (fromRow >= toRow) {
            return;
        }
        long first = firstVector(fromRow);
        long end = firstVector(toRow);
        long bytes = (long) width * bytesPerValue();
        PageAdvice advice = PageAdvice.platform();
        advice.dontNeed(activations, first * bytes, (end - first) * bytes);
        if (scales != null) {
            advice.dontNeed(scales, first * Float.BYTES, (end - first) * Float.BYTES);
        }
    }

    @Override
    public void close() {
        file.close();
    }
}
