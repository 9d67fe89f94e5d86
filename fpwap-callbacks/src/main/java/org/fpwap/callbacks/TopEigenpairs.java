package org.fpwap.callbacks;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Optional;
import java.util.Random;
import java.util.stream.IntStream;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.CommonOps_MT_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.ejml.interfaces.decomposition.QRDecomposition;

/**
 * The {@code k} largest eigenpairs of a symmetric positive semi-definite matrix, in FP64: a full symmetric
 * QR decomposition for small matrices, and for large ones block subspace iteration with Rayleigh–Ritz
 * (O(H²·p) per iteration instead of O(H³)), accepted only when every returned pair's residual
 * {@code ‖Cv − λv‖} is below {@link #RESIDUAL_TOLERANCE} × λ₁ — otherwise the full decomposition runs.
 */
final class TopEigenpairs {

    /** Up to this size the full decomposition is fast enough (about a second) and always exact. */
    static final int FULL_DECOMPOSITION_MAX = 1024;
    /** Accepted residual relative to the largest eigenvalue; eigenvector error ≈ residual / eigen-gap. */
    static final double RESIDUAL_TOLERANCE = 1e-10;
    /** Extra basis vectors beyond k: convergence goes as (λ_{p+1}/λ_k)^iterations. */
    static final int OVERSAMPLING = 16;
    /** Iterations before giving up and decomposing fully. */
    static final int MAX_ITERATIONS = 300;

    /** Eigenvalues, largest first, and their unit eigenvectors as rows. */
    record Pairs(double[] values, double[][] vectors) {}

    private TopEigenpairs() {}

    /** The top {@code k} eigenpairs of the {@code h × h} symmetric matrix {@code c} (row-major). */
    static Pairs of(double[] c, int h, int k) {
        DMatrixRMaj matrix = DMatrixRMaj.wrap(h, h, c);
        if (h > FULL_DECOMPOSITION_MAX) {
            Optional<Pairs> fast = subspaceIteration(matrix, k);
            if (fast.isPresent()) {
                return fast.get();
            }
        }
        return full(matrix, k);
    }

    static Pairs full(DMatrixRMaj c, int k) {
        int h = c.numRows;
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(h, true, true);
        if (!eig.decompose(c.copy())) {
            throw new IllegalStateException("the eigendecomposition of the " + h + "×" + h + " covariance did not converge");
        }
        int n = eig.getNumberOfEigenvalues();
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = eig.getEigenvalue(i).getReal();
        }
        Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -values[i]).thenComparingInt(i -> i));
        double[] top = new double[k];
        double[][] vectors = new double[k][];
        for (int j = 0; j < k; j++) {
            top[j] = values[order[j]];
            vectors[j] = Arrays.copyOf(eig.getEigenVector(order[j]).getData(), h);
        }
        return new Pairs(top, vectors);
    }

    /** Block subspace iteration with Rayleigh–Ritz every few steps; empty if it has not converged in time. */
    static Optional<Pairs> subspaceIteration(DMatrixRMaj c, int k) {
        int h = c.numRows;
        int p = Math.min(h, k + OVERSAMPLING);
        DMatrixRMaj q = new DMatrixRMaj(h, p);
        Random random = new Random(0x5EED ^ h);
        for (int i = 0; i < q.data.length; i++) {
            q.data[i] = random.nextGaussian();
        }
        q = orthonormal(q);
        DMatrixRMaj cq = new DMatrixRMaj(h, p);
        for (int iteration = 1; iteration <= MAX_ITERATIONS; iteration++) {
            CommonOps_MT_DDRM.mult(c, q, cq);
            if (iteration % 5 == 0) {
                Optional<Pairs> ritz = rayleighRitz(c, q, cq, k);
                if (ritz.isPresent()) {
                    return ritz;
                }
            }
            q = orthonormal(cq);
        }
        return Optional.empty();
    }

    /** Ritz pairs of {@code c} on the span of {@code q} (with {@code cq = c·q}), if all k have small residuals. */
    private static Optional<Pairs> rayleighRitz(DMatrixRMaj c, DMatrixRMaj q, DMatrixRMaj cq, int k) {
        int h = q.numRows;
        int p = q.numCols;
        DMatrixRMaj small = new DMatrixRMaj(p, p);
        CommonOps_DDRM.multTransA(q, cq, small);
        // Symmetrise away rounding so the symmetric solver sees an exactly symmetric matrix.
        for (int i = 0; i < p; i++) {
            for (int j = i + 1; j < p; j++) {
                double avg = 0.5 * (small.get(i, j) + small.get(j, i));
                small.set(i, j, avg);
                small.set(j, i, avg);
            }
        }
        Pairs inner = full(small, k);
        double[][] vectors = new double[k][h];
        double largest = Math.max(inner.values()[0], Double.MIN_NORMAL);
        DMatrixRMaj v = new DMatrixRMaj(h, 1);
        DMatrixRMaj cv = new DMatrixRMaj(h, 1);
        for (int j = 0; j < k; j++) {
            for (int row = 0; row < h; row++) {
                double sum = 0;
                for (int col = 0; col < p; col++) {
                    sum += q.get(row, col) * inner.vectors()[j][col];
                }
                v.data[row] = sum;
            }
            CommonOps_DDRM.mult(c, v, cv);
            double residual = 0;
            for (int row = 0; row < h; row++) {
                double d = cv.data[row] - inner.values()[j] * v.data[row];
                residual += d * d;
            }
            if (Math.sqrt(residual) > RESIDUAL_TOLERANCE * largest) {
                return Optional.empty();
            }
            vectors[j] = v.data.clone();
        }
        return Optional.of(new Pairs(inner.values(), vectors));
    }

    private static DMatrixRMaj orthonormal(DMatrixRMaj a) {
        QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(a.numRows, a.numCols);
        if (!qr.decompose(a.copy())) {
            throw new IllegalStateException("QR of the subspace basis failed");
        }
        return qr.getQ(null, true);
    }
}
