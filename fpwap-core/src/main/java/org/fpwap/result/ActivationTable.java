package org.fpwap.result;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.fpwap.safetensors.SafetensorsFile;
import org.fpwap.safetensors.TensorInfo;

/**
 * One (callback, layer, hook)'s emitted activations, in dataset order, read from the mapped file the
 * sweep wrote (never loaded whole). Row {@code i} is sample {@code i}: one vector, or one per real token.
 */
public final class ActivationTable implements ActivationRows, AutoCloseable {

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final SafetensorsFile file;
    private final MemorySegment activations;
    private final MemorySegment offsets;
    private final OptionalLong[] labels;
    private final int width;
    private final int rows;

    private ActivationTable(SafetensorsFile file, OptionalLong[] labels) {
        this.file = file;
        TensorInfo info = file.require("activations");
        this.activations = file.data("activations");
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

    private long firstVector(int row) {
        return offsets == null ? row : offsets.getAtIndex(LONG, row);
    }

    @Override
    public MemorySegment rowData(int row) {
        long bytes = (long) width * Float.BYTES;
        return activations.asSlice(firstVector(row) * bytes, tokenCount(row) * bytes);
    }

    /** Sample {@code row}'s vectors as {@code [tokens][width]} (one row unless ragged). */
    public float[][] vectors(int row) {
        float[][] out = new float[tokenCount(row)][width];
        MemorySegment data = rowData(row);
        for (int t = 0; t < out.length; t++) {
            MemorySegment.copy(data, FLOAT, (long) t * width * Float.BYTES, out[t], 0, width);
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

    @Override
    public void close() {
        file.close();
    }
}
