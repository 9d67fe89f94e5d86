package org.fpwap.safetensors;

import java.util.Arrays;
import java.util.Objects;

/**
 * One validated header entry: a tensor's name, element type, shape and byte range.
 *
 * @param name the tensor name as written in the header
 * @param dtype the element type
 * @param shape the dimensions; copied on the way in and out, so a record is never mutated through it
 * @param begin the first byte, relative to the start of the data section
 * @param end one past the last byte, relative to the start of the data section
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {

    /**
     * Validates and copies the arguments.
     *
     * @throws IllegalArgumentException if a dimension or an offset is negative or {@code begin > end}
     */
    public TensorInfo {
        Objects.requireNonNull(name, "name is null");
        Objects.requireNonNull(dtype, "dtype is null");
        shape = Objects.requireNonNull(shape, "shape is null").clone();
        for (long dim : shape) {
            if (dim < 0) {
                throw new IllegalArgumentException("tensor " + name + ": shape dimensions must be non-negative, got "
                        + Arrays.toString(shape));
            }
        }
        if (begin < 0 || begin > end) {
            throw new IllegalArgumentException("tensor " + name + ": offsets must satisfy 0 <= begin <= end, got ["
                    + begin + ", " + end + "]");
        }
    }

    /**
     * Returns a copy of the dimensions.
     *
     * @return the shape; changing it does not change this record
     */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /**
     * Returns the number of dimensions.
     *
     * @return the rank (0 for a scalar)
     */
    public int rank() {
        return shape.length;
    }

    /**
     * Returns the number of elements: the product of the dimensions (1 for a scalar).
     *
     * @return the element count
     * @throws ArithmeticException if the product overflows a {@code long}
     */
    public long elementCount() {
        long count = 1;
        for (long dim : shape) {
            if (dim == 0) {
                return 0;
            }
        }
        for (long dim : shape) {
            count = Math.multiplyExact(count, dim);
        }
        return count;
    }

    /**
     * Returns the size of the tensor's byte range, {@code end - begin}.
     *
     * @return the byte length (equal to {@code elementCount() * dtype().byteSize()} once validated)
     */
    public long byteLength() {
        return end - begin;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TensorInfo that
                && name.equals(that.name)
                && dtype == that.dtype
                && Arrays.equals(shape, that.shape)
                && begin == that.begin
                && end == that.end;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
    }

    @Override
    public String toString() {
        return "TensorInfo[name=" + name + ", dtype=" + dtype + ", shape=" + Arrays.toString(shape)
                + ", data_offsets=[" + begin + ", " + end + "]]";
    }
}
