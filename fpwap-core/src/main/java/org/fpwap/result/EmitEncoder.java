package org.fpwap.result;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.fpwap.callback.Store;

/**
 * Brings an emitted tensor to the host in its storage form. Int8 quantization runs as tensor ops on the
 * tensor's own device (a max-reduce over the last axis and a scaled round), so a GPU sends a quarter of the
 * bytes and the CPU path needs no Java pass over the values: only the int8 bytes and one scale per vector
 * are copied out. BF16 is rounded on the host while the values are copied into the file (DJL's PyTorch
 * binding has no bfloat16 type), so it costs no extra pass either.
 */
public final class EmitEncoder {

    /** The largest int8 magnitude used: symmetric, so -128 never occurs. */
    static final float INT8_MAX = 127f;

    private EmitEncoder() {}

    /**
     * Encodes {@code values} ({@code [..., W]}) for storage as {@code store}.
     *
     * @param values the emitted tensor; left unchanged
     * @param store how it will be stored
     * @return FP32 values (F32, BF16) or int8 values and per-vector scales (INT8)
     */
    public static EncodedEmit encode(NDArray values, Store store) {
        int width = (int) values.getShape().get(values.getShape().dimension() - 1);
        return switch (store) {
            case F32, BF16 -> new EncodedEmit.Floats(values.toFloatArray(), width);
            case INT8 -> quantize(values, width);
        };
    }

    /**
     * {@code scale = max|x| / 127} per vector, {@code q = round-half-even(x / scale)} clamped to ±127; an
     * all-zero vector gets scale 0 and q = 0 (it is divided by 1 instead of 0). A NaN or infinity makes
     * the vector's scale NaN or infinite, which the writer reports.
     */
    private static EncodedEmit.Int8 quantize(NDArray values, int width) {
        try (NDManager scope = values.getManager().newSubManager()) {
            values.tempAttach(scope);
            NDArray x = values.toType(DataType.FLOAT32, false);
            int lastAxis = x.getShape().dimension() - 1;
            NDArray scale = x.abs().max(new int[] {lastAxis}).div(INT8_MAX);
            NDArray divisor = scale.add(scale.eq(0f).toType(DataType.FLOAT32, false));
            NDArray q = x.div(divisor.expandDims(lastAxis)).round().clip(-INT8_MAX, INT8_MAX)
                    .toType(DataType.INT8, false);
            return new EncodedEmit.Int8(q.toByteArray(), scale.toFloatArray(), width);
        }
    }
}
