package org.fpwap.result;

import static java.util.Objects.requireNonNull;

/**
 * One microbatch's emitted vectors on the host, in the form the emit file stores them: FP32 values (written
 * as FP32, or rounded to BF16 while they are copied into the file) or int8 values with one scale per vector.
 * Vectors are {@code width} values each, laid out as the emitted tensor was ({@code [B, W]} or
 * {@code [B, T, W]}, pads included).
 */
public sealed interface EncodedEmit permits EncodedEmit.Floats, EncodedEmit.Int8 {

    /** {@return values per vector} */
    int width();

    /**
     * FP32 values as emitted.
     *
     * @param values the values, vector-major
     * @param width values per vector
     */
    record Floats(float[] values, int width) implements EncodedEmit {
        public Floats {
            requireNonNull(values, "values is null");
        }
    }

    /**
     * Quantized values: vector {@code v}'s value {@code i} is {@code values[v * width + i] * scales[v]}.
     *
     * @param values int8 values, vector-major
     * @param scales one FP32 scale per vector; NaN or infinite where the vector held a NaN or infinity
     * @param width values per vector
     */
    record Int8(byte[] values, float[] scales, int width) implements EncodedEmit {
        public Int8 {
            requireNonNull(values, "values is null");
            requireNonNull(scales, "scales is null");
            if ((long) scales.length * width != values.length) {
                throw new IllegalArgumentException(scales.length + " scales of width " + width + " do not cover "
                        + values.length + " values");
            }
        }
    }
}
