package org.fpwap.callbacks;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Per-class counts and FP64 sums of {@code dim}-wide vectors, plus a count of vectors that had no class.
 * A mutable accumulator: {@link #add} and {@link #merge} update it in place; accumulators over disjoint
 * data merge to the accumulator of their union (for checkpoints and data-parallel workers).
 */
public final class ClassSums {

    private final int dim;
    private final TreeMap<Long, double[]> sums = new TreeMap<>();
    private final TreeMap<Long, Long> counts = new TreeMap<>();
    private long unlabelled;

    private ClassSums(int dim) {
        this.dim = dim;
    }

    /** No vectors yet. */
    public static ClassSums empty(int dim) {
        if (dim <= 0) {
            throw new IllegalArgumentException("dimension must be positive, got " + dim);
        }
        return new ClassSums(dim);
    }

    /** Adds the vector at {@code values[offset .. offset + dim)} to class {@code label}; returns this. */
    public ClassSums add(long label, double[] values, int offset) {
        double[] sum = sums.computeIfAbsent(label, l -> new double[dim]);
        for (int h = 0; h < dim; h++) {
            sum[h] += values[offset + h];
        }
        counts.merge(label, 1L, Long::sum);
        return this;
    }

    /** Counts one vector that had no label (it is otherwise ignored); returns this. */
    public ClassSums skip() {
        unlabelled++;
        return this;
    }

    /** Folds {@code other} into this accumulator; returns this. */
    public ClassSums merge(ClassSums other) {
        if (other.dim != dim) {
            throw new IllegalArgumentException("cannot merge class sums of width " + other.dim + " into width " + dim);
        }
        for (Map.Entry<Long, double[]> e : other.sums.entrySet()) {
            double[] sum = sums.computeIfAbsent(e.getKey(), l -> new double[dim]);
            for (int h = 0; h < dim; h++) {
                sum[h] += e.getValue()[h];
            }
            counts.merge(e.getKey(), other.counts.get(e.getKey()), Long::sum);
        }
        unlabelled += other.unlabelled;
        return this;
    }

    /** Writes the exact state (dim, per-class counts and FP64 sums, unlabelled count) for {@link #readFrom}. */
    public void writeTo(DataOutput out) throws IOException {
        out.writeInt(dim);
        out.writeLong(unlabelled);
        out.writeInt(counts.size());
        for (Map.Entry<Long, Long> e : counts.entrySet()) {
            out.writeLong(e.getKey());
            out.writeLong(e.getValue());
            for (double v : sums.get(e.getKey())) {
                out.writeDouble(v);
            }
        }
    }

    /** Reads what {@link #writeTo} wrote, bit for bit. */
    public static ClassSums readFrom(DataInput in) throws IOException {
        ClassSums s = empty(in.readInt());
        s.unlabelled = in.readLong();
        int classes = in.readInt();
        for (int c = 0; c < classes; c++) {
            long label = in.readLong();
            s.counts.put(label, in.readLong());
            double[] sum = new double[s.dim];
            for (int h = 0; h < sum.length; h++) {
                sum[h] = in.readDouble();
            }
            s.sums.put(label, sum);
        }
        return s;
    }

    /** The vector width. */
    public int dim() {
        return dim;
    }

    /** The classes seen, ascending. */
    public long[] classes() {
        return counts.keySet().stream().mapToLong(Long::longValue).toArray();
    }

    /** Vectors of class {@code label} (0 if none). */
    public long count(long label) {
        return counts.getOrDefault(label, 0L);
    }

    /** Vectors with a label. */
    public long labelled() {
        return counts.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Vectors without a label. */
    public long unlabelled() {
        return unlabelled;
    }

    /** The FP64 sum of class {@code label}'s vectors (a copy). */
    public double[] sum(long label) {
        double[] s = sums.get(label);
        if (s == null) {
            throw new IllegalArgumentException("no vectors of class " + label + "; classes " + counts.keySet());
        }
        return s.clone();
    }

    /** The FP64 mean of class {@code label}'s vectors. */
    public double[] mean(long label) {
        double[] m = sum(label);
        double n = count(label);
        for (int h = 0; h < dim; h++) {
            m[h] /= n;
        }
        return m;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ClassSums other) || dim != other.dim || unlabelled != other.unlabelled
                || !counts.equals(other.counts)) {
            return false;
        }
        return sums.keySet().stream().allMatch(l -> Arrays.equals(sums.get(l), other.sums.get(l)));
    }

    @Override
    public int hashCode() {
        return Objects.hash(dim, counts, unlabelled);
    }

    @Override
    public String toString() {
        return "ClassSums[dim=" + dim + ", counts=" + counts + ", unlabelled=" + unlabelled + "]";
    }
}
