package org.fpwap.weights;

import static java.util.Objects.requireNonNull;

import java.lang.foreign.MemorySegment;
import org.fpwap.safetensors.DType;
import org.fpwap.safetensors.Widening;

/**
 * A {@code [rows, H]} table read row by row straight from the mapped checkpoint, widened to FP32.
 * Only the rows a microbatch uses are touched, so a 128k-token vocabulary costs nothing to "load".
 * Valid while the checkpoint that mapped it is open.
 */
public final class EmbeddingTable {

    private final String name;
    private final MemorySegment data;
    private final DType dtype;
    private final int rows;
    private final int width;

    EmbeddingTable(String name, MemorySegment data, DType dtype, int rows, int width) {
        this.name = requireNonNull(name, "name is null");
        this.data = requireNonNull(data, "data is null");
        this.dtype = requireNonNull(dtype, "dtype is null");
        this.rows = rows;
        this.width = width;
    }

    /** Number of rows (vocabulary size or position limit). */
    public int rows() {
        return rows;
    }

    /** Row width H. */
    public int width() {
        return width;
    }

    /** Writes row {@code row} as FP32 into {@code dst[dstIndex .. dstIndex + H)}. */
    public void copyRow(int row, float[] dst, int dstIndex) {
        if (row < 0 || row >= rows) {
            throw new IndexOutOfBoundsException(name + ": row " + row + " outside [0, " + rows + ")");
        }
        MemorySegment out = MemorySegment.ofArray(dst);
        long srcOffset = (long) row * width * dtype.byteSize();
        long dstOffset = (long) dstIndex * Float.BYTES;
        switch (dtype) {
            case F32 -> Widening.f32Copy(data, srcOffset, out, dstOffset, width);
            case BF16 -> Widening.bf16ToF32(data, srcOffset, out, dstOffset, width);
            case F16 -> Widening.f16ToF32(data, srcOffset, out, dstOffset, width);
            default -> throw new IllegalStateException(name + " has dtype " + dtype + ", not a float type");
        }
    }
}
