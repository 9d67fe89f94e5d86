package org.fpwap.callback;

import java.util.Arrays;

/** A small dense tensor held on the heap as part of an {@link Artifact} (e.g. a PCA basis). */
public sealed interface ArtifactTensor permits ArtifactTensor.F32, ArtifactTensor.I64 {

    /** The dimensions. */
    long[] shape();

    /** Number of elements. */
    default long elementCount() {
        return Arrays.stream(shape()).reduce(1, Math::multiplyExact);
    }

    /** An FP32 tensor. */
    static F32 f32(long[] shape, float[] data) {
        return new F32(shape, data);
    }

    /** An int64 tensor. */
    static I64 i64(long[] shape, long[] data) {
        return new I64(shape, data);
    }

    /** FP32 values, row-major. */
    record F32(long[] shape, float[] data) implements ArtifactTensor {
        public F32 {
            shape = shape.clone();
            data = data.clone();
            check(shape, data.length);
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        @Override
        public float[] data() {
            return data.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof F32(long[] s, float[] d) && Arrays.equals(shape, s) && Arrays.equals(data, d);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(shape) * 31 + Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "F32" + Arrays.toString(shape);
        }
    }

    /** int64 values, row-major. */
    record I64(long[] shape, long[] data) implements ArtifactTensor {
        public I64 {
            shape = shape.clone();
            data = data.clone();
            check(shape, data.length);
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        @Override
        public long[] data() {
            return data.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof I64(long[] s, long[] d) && Arrays.equals(shape, s) && Arrays.equals(data, d);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(shape) * 31 + Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "I64" + Arrays.toString(shape);
        }
    }

    private static void check(long[] shape, int length) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        if (n != length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n + " values, got " + length);
        }
    }
}
