package org.fpwap.dataset;

import java.util.BitSet;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * What the validating scan ({@link DatasetScanner#scan}) learned about a dataset, in dataset order:
 * each sample's length and optional label, but not its tokens. About 12 bytes per sample, so tens of
 * millions of samples fit comfortably in the heap while the tokens stay on disk.
 *
 * <p>The arrays are copied in and out; use {@link #length(int)} and {@link #label(int)} in loops.
 *
 * @param lengths token count of sample {@code i}
 * @param labels label of sample {@code i}, or 0 where {@code labelled} is clear
 * @param labelled bit {@code i} is set iff sample {@code i} has a label
 * @param totalTokens sum of {@code lengths}
 * @param maxLength largest entry of {@code lengths}
 */
public record DatasetSummary(int[] lengths, long[] labels, BitSet labelled, long totalTokens, int maxLength) {
    /** Copies the arrays and checks that the totals agree with them. */
    public DatasetSummary {
        lengths = lengths.clone();
        labels = labels.clone();
        labelled = (BitSet) Objects.requireNonNull(labelled, "labelled is null").clone();
        if (labels.length != lengths.length) {
            throw new IllegalArgumentException("labels has " + labels.length + " entries but lengths has " + lengths.length);
        }
        if (labelled.length() > lengths.length) {
            throw new IllegalArgumentException("labelled marks sample " + (labelled.length() - 1) + " but there are only "
                    + lengths.length + " samples");
        }
        long sum = 0;
        int max = 0;
        for (int length : lengths) {
            if (length < 0) {
                throw new IllegalArgumentException("lengths must be non-negative, got " + length);
            }
            sum += length;
            max = Math.max(max, length);
        }
        if (sum != totalTokens || max != maxLength) {
            throw new IllegalArgumentException("totalTokens " + totalTokens + " and maxLength " + maxLength
                    + " disagree with lengths (sum " + sum + ", max " + max + ")");
        }
    }

    /** Number of samples. */
    public int sampleCount() {
        return lengths.length;
    }

    /** Token count of sample {@code i}. */
    public int length(int i) {
        return lengths[i];
    }

    /** Label of sample {@code i}, if it has one. */
    public OptionalLong label(int i) {
        Objects.checkIndex(i, lengths.length);
        return labelled.get(i) ? OptionalLong.of(labels[i]) : OptionalLong.empty();
    }

    /** Number of samples that carry a label. */
    public int labelledCount() {
        return labelled.cardinality();
    }

    /** A copy of the per-sample lengths. */
    @Override
    public int[] lengths() {
        return lengths.clone();
    }

    /** A copy of the per-sample labels (0 where there is none; see {@link #labelled()}). */
    @Override
    public long[] labels() {
        return labels.clone();
    }

    /** A copy of the label-presence bits. */
    @Override
    public BitSet labelled() {
        return (BitSet) labelled.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DatasetSummary s && java.util.Arrays.equals(lengths, s.lengths)
                && java.util.Arrays.equals(labels, s.labels) && labelled.equals(s.labelled)
                && totalTokens == s.totalTokens && maxLength == s.maxLength;
    }

    @Override
    public int hashCode() {
        return Objects.hash(java.util.Arrays.hashCode(lengths), java.util.Arrays.hashCode(labels), labelled, totalTokens,
                maxLength);
    }

    @Override
    public String toString() {
        return "DatasetSummary[" + lengths.length + " samples, " + labelled.cardinality() + " labelled, " + totalTokens
                + " tokens, longest " + maxLength + "]";
    }
}
