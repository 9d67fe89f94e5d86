package org.fpwap.callbacks;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

/**
 * The count, mean and centred scatter matrix {@code M2 = Σ (x − x̄)(x − x̄)ᵀ} of a set of {@code dim}-wide
 * vectors, in FP64. Batches are reduced to their own centred statistics first and merged with Chan et
 * al.'s update ({@code M2 += M2_b + δδᵀ·n·n_b/(n + n_b)}, {@code δ = x̄_b − x̄}), so the result stays
 * accurate when the mean is far larger than the spread, where {@code E[xxᵀ] − μμᵀ} cancels catastrophically.
 *
 * <p>A mutable accumulator (an H×H FP64 matrix is too large to copy per batch): {@link #merge} updates
 * this instance in place. Two accumulators over disjoint data merge to the accumulator of their union,
 * so partial states (a checkpoint, another data-parallel worker) combine with {@link #merge}.
 */
public final class CenteredMoments {

    private final int dim;
    private long count;
    private final double[] mean;
    private final double[] m2;
    /** A reusable batch accumulator for {@link #add} (not part of the value). */
    private CenteredMoments scratch;

    private CenteredMoments(int dim, long count, double[] mean, double[] m2) {
        this.dim = dim;
        this.count = count;
        this.mean = mean;
        this.m2 = m2;
    }

    /** No vectors yet. */
    public static CenteredMoments empty(int dim) {
        if (dim <= 0) {
            throw new IllegalArgumentException("dimension must be positive, got " + dim);
        }
        return new CenteredMoments(dim, 0, new double[dim], new double[Math.multiplyExact(dim, dim)]);
    }

    /**
     * The moments of {@code count} vectors stored row-major in {@code rows} ({@code count × dim}): the batch
     * mean, then the scatter of the rows centred on it.
     */
    public static CenteredMoments of(double[] rows, int count, int dim) {
        CenteredMoments m = empty(dim);
        m.count = batch(rows, count, dim, m.mean, m.m2);
        return m;
    }

    /**
     * Writes the mean of the {@code count} rows into {@code mean} and their centred scatter into
     * {@code scatter}; returns {@code count}.
     */
    private static long batch(double[] rows, int count, int dim, double[] mean, double[] scatter) {
        if (count < 0 || rows.length < (long) count * dim) {
            throw new IllegalArgumentException(count + " rows of width " + dim + " need " + (long) count * dim
                    + " values, got " + rows.length);
        }
        Arrays.fill(mean, 0);
        Arrays.fill(scatter, 0);
        if (count == 0) {
            return 0;
        }
        double[] centred = Arrays.copyOf(rows, count * dim);
        for (int r = 0; r < count; r++) {
            for (int h = 0; h < dim; h++) {
                mean[h] += centred[r * dim + h];
            }
        }
        for (int h = 0; h < dim; h++) {
            mean[h] /= count;
        }
        for (int r = 0; r < count; r++) {
            for (int h = 0; h < dim; h++) {
                centred[r * dim + h] -= mean[h];
            }
        }
        CommonOps_DDRM.multInner(DMatrixRMaj.wrap(count, dim, centred), DMatrixRMaj.wrap(dim, dim, scatter));
        return count;
    }

    /**
     * Adds {@code count} row-major vectors ({@code rows} holds {@code count × dim} values): their batch
     * moments, merged in. Reuses one scratch batch accumulator, so a stream of batches allocates no H×H
     * matrices after the first. Returns this.
     */
    public CenteredMoments add(double[] rows, int count) {
        if (scratch == null) {
            scratch = empty(dim);
        }
        scratch.count = batch(rows, count, dim, scratch.mean, scratch.m2);
        return merge(scratch);
    }

    /** Folds {@code other}'s vectors into this accumulator (Chan et al.); returns this. {@code other} is unchanged. */
    public CenteredMoments merge(CenteredMoments other) {
        if (other.dim != dim) {
            throw new IllegalArgumentException("cannot merge moments of width " + other.dim + " into width " + dim);
        }
        if (other.count == 0) {
            return this;
        }
        if (count == 0) {
            System.arraycopy(other.mean, 0, mean, 0, dim);
            System.arraycopy(other.m2, 0, m2, 0, m2.length);
            count = other.count;
            return this;
        }
        double n = count;
        double nb = other.count;
        double total = n + nb;
        double f = n * nb / total;
        double[] delta = new double[dim];
        for (int i = 0; i < dim; i++) {
            delta[i] = other.mean[i] - mean[i];
        }
        for (int i = 0; i < dim; i++) {
            double di = delta[i] * f;
            int row = i * dim;
            for (int j = 0; j < dim; j++) {
                m2[row + j] += other.m2[row + j] + di * delta[j];
            }
        }
        double w = nb / total;
        for (int i = 0; i < dim; i++) {
            mean[i] += delta[i] * w;
        }
        count += other.count;
        return this;
    }

    /** Writes the exact state (dim, count, FP64 mean and scatter) for {@link #readFrom}. */
    public void writeTo(DataOutput out) throws IOException {
        out.writeInt(dim);
        out.writeLong(count);
        for (double v : mean) {
            out.writeDouble(v);
        }
        for (double v : m2) {
            out.writeDouble(v);
        }
    }

    /** Reads what {@link #writeTo} wrote, bit for bit. */
    public static CenteredMoments readFrom(DataInput in) throws IOException {
        CenteredMoments m = empty(in.readInt());
        m.count = in.readLong();
        if (m.count < 0) {
            throw new IOException("corrupt moments: negative count " + m.count);
        }
        for (int i = 0; i < m.mean.length; i++) {
            m.mean[i] = in.readDouble();
        }
        for (int i = 0; i < m.m2.length; i++) {
            m.m2[i] = in.readDouble();
        }
        return m;
    }

    /** An independent copy. */
    public CenteredMoments copy() {
        return new CenteredMoments(dim, count, mean.clone(), m2.clone());
    }

    /** The vector width. */
    public int dim() {
        return dim;
    }

    /** Vectors seen. */
    public long count() {
        return count;
    }

    /** The mean (a copy). */
    public double[] mean() {
        return mean.clone();
    }

    /** The centred scatter {@code Σ (x − x̄)(x − x̄)ᵀ}, {@code dim × dim} row-major (a copy). */
    public double[] m2() {
        return m2.clone();
    }

    /** The sample covariance {@code M2 / (n − 1)}, row-major; needs at least two vectors. */
    public double[] covariance() {
        if (count < 2) {
            throw new IllegalStateException("a sample covariance needs at least 2 vectors, have " + count);
        }
        double[] c = m2.clone();
        double d = count - 1;
        for (int i = 0; i < c.length; i++) {
            c[i] /= d;
        }
        return c;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CenteredMoments other && dim == other.dim && count == other.count
                && Arrays.equals(mean, other.mean) && Arrays.equals(m2, other.m2);
    }

    @Override
    public int hashCode() {
        return (dim * 31 + Long.hashCode(count)) * 31 + Arrays.hashCode(mean);
    }

    @Override
    public String toString() {
        return "CenteredMoments[dim=" + dim + ", count=" + count + "]";
    }
}
