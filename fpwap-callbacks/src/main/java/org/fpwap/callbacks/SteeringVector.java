package org.fpwap.callbacks;

import static java.util.Objects.requireNonNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.OptionalInt;
import org.fpwap.callback.Artifact;
import org.fpwap.callback.ArtifactTensor;

/**
 * Where {@link SteerInBasis} gets its direction: a vector given in code, or a tensor (or one row of a
 * matrix tensor) in a safetensors file, such as a previous run's {@code pca} artifact ({@code components},
 * row i) or {@code diff_of_means} artifact ({@code direction}).
 */
public sealed interface SteeringVector permits SteeringVector.Given, SteeringVector.FromFile {

    /** The vector's values; fails naming the source if it cannot be read. */
    float[] load();

    /** Where the vector comes from, for messages. */
    String describe();

    /** The vector {@code v} itself (copied). */
    static SteeringVector of(float... v) {
        return new Given(v);
    }

    /** The 1-D F32 tensor {@code tensor} of {@code file} (or a {@code [1, H]} one). */
    static SteeringVector fromFile(Path file, String tensor) {
        return new FromFile(file, tensor, OptionalInt.empty());
    }

    /** Row {@code row} of the 2-D F32 tensor {@code tensor} of {@code file} (e.g. {@code components}, row 0). */
    static SteeringVector fromFile(Path file, String tensor, int row) {
        if (row < 0) {
            throw new IllegalArgumentException("row index must be non-negative, got " + row);
        }
        return new FromFile(file, tensor, OptionalInt.of(row));
    }

    /** A vector given in code. */
    record Given(float[] values) implements SteeringVector {
        public Given {
            if (values.length == 0) {
                throw new IllegalArgumentException("the steering vector is empty");
            }
            values = values.clone();
        }

        @Override
        public float[] values() {
            return values.clone();
        }

        @Override
        public float[] load() {
            return values.clone();
        }

        @Override
        public String describe() {
            return "the vector given in code";
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Given(float[] other) && Arrays.equals(values, other);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(values);
        }

        @Override
        public String toString() {
            return "SteeringVector.of(" + values.length + " values)";
        }
    }

    /** A tensor, or one row of it, in a safetensors file. */
    record FromFile(Path file, String tensor, OptionalInt row) implements SteeringVector {
        public FromFile {
            requireNonNull(file, "file is null");
            requireNonNull(tensor, "tensor is null");
            requireNonNull(row, "row is null");
        }

        @Override
        public String describe() {
            return file + " tensor \"" + tensor + "\"" + (row.isPresent() ? " row " + row.getAsInt() : "");
        }

        @Override
        public float[] load() {
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("steering vector file " + file + " does not exist");
            }
            Artifact artifact;
            try {
                artifact = Artifact.read(file);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("cannot read the steering vector from " + file + ": " + e.getMessage(), e);
            }
            ArtifactTensor t = artifact.tensors().get(tensor);
            if (t == null) {
                throw new IllegalArgumentException(file + " has no tensor \"" + tensor + "\"; it has " + artifact.tensors().keySet());
            }
            if (!(t instanceof ArtifactTensor.F32 f)) {
                throw new IllegalArgumentException(file + " tensor \"" + tensor + "\" is " + t + " of int64; a steering vector must be F32");
            }
            long[] shape = f.shape();
            float[] data = f.data();
            if (shape.length == 1) {
                if (row.isPresent() && row.getAsInt() != 0) {
                    throw new IllegalArgumentException(file + " tensor \"" + tensor + "\" is a single vector " + Arrays.toString(shape)
                            + "; row " + row.getAsInt() + " is out of range");
                }
                return data;
            }
            if (shape.length != 2) {
                throw new IllegalArgumentException(file + " tensor \"" + tensor + "\" has shape " + Arrays.toString(shape)
                        + "; a steering vector comes from a [H] vector or a row of an [N, H] matrix");
            }
            int rows = (int) shape[0];
            int width = (int) shape[1];
            int r;
            if (row.isPresent()) {
                r = row.getAsInt();
                if (r >= rows) {
                    throw new IllegalArgumentException(file + " tensor \"" + tensor + "\" has " + rows + " rows (shape "
                            + Arrays.toString(shape) + "); row " + r + " is out of range (0.." + (rows - 1) + ")");
                }
            } else if (rows == 1) {
                r = 0;
            } else {
                throw new IllegalArgumentException(file + " tensor \"" + tensor + "\" is a matrix " + Arrays.toString(shape)
                        + "; name the row to steer along");
            }
            return Arrays.copyOfRange(data, r * width, (r + 1) * width);
        }
    }
}
