package org.fpwap.safetensors;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The element types this reader accepts, spelled as in the safetensors header ({@code "F32"} ...).
 *
 * <p>Deliberately a closed, small set: these are the types transformer checkpoints and our outputs
 * use. Any other header dtype is rejected by {@link #parse} rather than silently skipped.
 */
public enum DType {
    /** IEEE 754 binary32. */
    F32(4),
    /** IEEE 754 binary16. */
    F16(2),
    /** bfloat16: the upper 16 bits of a binary32. */
    BF16(2),
    /** Signed 64-bit integer. */
    I64(8),
    /** Signed 32-bit integer. */
    I32(4),
    /** Unsigned 8-bit integer. */
    U8(1),
    /** Signed 8-bit integer (int8 activation storage). */
    I8(1);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    /**
     * Returns the size of one element in bytes.
     *
     * @return bytes per element (1, 2, 4 or 8)
     */
    public int byteSize() {
        return byteSize;
    }

    /**
     * Parses a header dtype string, case-sensitively as the format requires.
     *
     * @param name the dtype string from the header, e.g. {@code "BF16"}
     * @param file the file whose header holds the string, named in the error
     * @param tensor the tensor whose entry holds the string, named in the error
     * @return the matching dtype
     * @throws SafetensorsException if {@code name} is not one of the supported dtypes
     */
    public static DType parse(String name, Path file, String tensor) {
        Objects.requireNonNull(name, "name is null");
        for (DType dtype : values()) {
            if (dtype.name().equals(name)) {
                return dtype;
            }
        }
        throw new SafetensorsException(file, tensor, "unsupported dtype: expected one of "
                + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "))
                + ", got \"" + name + "\"");
    }
}
