package org.fpwap.callback;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How emitted activations are stored on disk. {@link #F32} is exact; the other two trade precision for
 * size and are opt-in.
 *
 * <ul>
 *   <li>{@link #F32}: IEEE binary32, 4 bytes per value.
 *   <li>{@link #BF16}: the binary32 rounded to nearest-even bfloat16, 2 bytes per value.
 *   <li>{@link #INT8}: symmetric int8 with one FP32 scale per stored vector (per sample when pooled,
 *       per token otherwise): {@code scale = max|x| / 127} (0 for an all-zero vector),
 *       {@code q = round-half-even(x / scale)} clamped to ±127, so every value is within {@code scale / 2}
 *       of {@code q × scale}; 1 byte per value plus 4 per vector. A NaN or infinity cannot be stored
 *       and fails the run naming the sample.
 * </ul>
 */
public enum Store {
    /** Exact FP32 (the default). */
    F32,
    /** bfloat16, round-to-nearest-even: half the bytes, about 3 significant digits. */
    BF16,
    /** int8 with a per-vector FP32 scale: a quarter of the bytes. */
    INT8;

    /** {@return bytes one stored value takes: 4, 2 or 1 (int8 adds one FP32 scale per vector)} */
    public int bytesPerValue() {
        return switch (this) {
            case F32 -> 4;
            case BF16 -> 2;
            case INT8 -> 1;
        };
    }

    /** {@return the lower-case name used by the CLI and in file metadata: f32, bf16 or int8} */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a {@link #wireName()}.
     *
     * @param text {@code f32}, {@code bf16} or {@code int8} (case-insensitive)
     * @return the store
     * @throws IllegalArgumentException naming the value and the accepted ones
     */
    public static Store fromWireName(String text) {
        for (Store s : values()) {
            if (s.wireName().equalsIgnoreCase(text)) {
                return s;
            }
        }
        throw new IllegalArgumentException("store '" + text + "' is not one of "
                + Arrays.stream(values()).map(Store::wireName).collect(Collectors.joining(", ")));
    }
}
