package org.fpwap.result;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import java.util.OptionalLong;

/**
 * One sample's activations as plain Java values: its id, optional label and its vectors
 * (tokens × hidden size). Immutable: arrays are copied on the way in and on the way out.
 *
 * <p>Equality is bit-exact: two rows are equal when ids and labels are equal and every float has
 * the same raw bit pattern (so {@code NaN} payloads and {@code -0.0f} are told apart).
 *
 * @param sampleId the dataset's identifier of the sample
 * @param label the sample's label, or empty when it has none
 * @param vectors the activation vectors, one per token, all of the same length
 */
public record ActivationRow(long sampleId, OptionalLong label, float[][] vectors) {

    /** Validates the row and takes a deep copy of {@code vectors}. */
    public ActivationRow {
        requireNonNull(label, "label is null (use OptionalLong.empty() for a missing label)");
        requireNonNull(vectors, "vectors is null");
        float[][] copy = new float[vectors.length][];
        for (int t = 0; t < vectors.length; t++) {
            requireNonNull(vectors[t], "vector " + t + " of sample " + sampleId + " is null");
            if (vectors[t].length != vectors[0].length) {
                throw new IllegalArgumentException("sample " + sampleId + ": vector " + t + " has "
                        + vectors[t].length + " values, but vector 0 has " + vectors[0].length);
            }
            copy[t] = vectors[t].clone();
        }
        vectors = copy;
    }

    /**
     * A row with the given vectors.
     *
     * @param sampleId the dataset's identifier of the sample
     * @param label the label, or empty
     * @param vectors one vector per token (a single one for a pooled row)
     * @return the row
     */
    public static ActivationRow of(long sampleId, OptionalLong label, float[]... vectors) {
        return new ActivationRow(sampleId, label, vectors);
    }

    /** {@return a deep copy of the vectors (tokens × hidden size)} */
    @Override
    public float[][] vectors() {
        float[][] copy = new float[vectors.length][];
        for (int t = 0; t < vectors.length; t++) {
            copy[t] = vectors[t].clone();
        }
        return copy;
    }

    /** {@return the number of vectors (tokens) in this row} */
    public int tokenCount() {
        return vectors.length;
    }

    /**
     * A copy of one vector.
     *
     * @param token the token index, {@code 0 <= token < tokenCount()}
     * @return the vector's values
     */
    public float[] vector(int token) {
        return vectors[token].clone();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ActivationRow other)
                || sampleId != other.sampleId
                || !label.equals(other.label)
                || vectors.length != other.vectors.length) {
            return false;
        }
        for (int t = 0; t < vectors.length; t++) {
            if (!sameBits(vectors[t], other.vectors[t])) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = Long.hashCode(sampleId) * 31 + label.hashCode();
        for (float[] v : vectors) {
            for (float x : v) {
                h = h * 31 + Float.floatToRawIntBits(x);
            }
        }
        return h;
    }

    @Override
    public String toString() {
        return "ActivationRow[sampleId=" + sampleId + ", label=" + label + ", vectors="
                + Arrays.deepToString(vectors) + "]";
    }

    private static boolean sameBits(float[] a, float[] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                return false;
            }
        }
        return true;
    }
}
