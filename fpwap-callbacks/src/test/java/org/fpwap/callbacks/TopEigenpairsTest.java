package org.fpwap.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.QRDecomposition;
import org.junit.jupiter.api.Test;

/**
 * The subspace-iteration path for large covariances finds the top eigenpairs of a matrix built with known
 * ones (C = Σ λᵢ qᵢqᵢᵀ + σI over a random orthonormal basis), to FP64 accuracy.
 */
class TopEigenpairsTest {

    @Test
    void subspaceIterationRecoversKnownTopEigenpairsOfALargeMatrix() {
        int h = TopEigenpairs.FULL_DECOMPOSITION_MAX + 76;
        int rank = 40;
        int k = 8;
        double sigma = 0.05;
        Random random = new Random(11);
        DMatrixRMaj basis = new DMatrixRMaj(h, rank);
        for (int i = 0; i < basis.data.length; i++) {
            basis.data[i] = random.nextGaussian();
        }
        QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(h, rank);
        qr.decompose(basis);
        DMatrixRMaj q = qr.getQ(null, true);
        double[] lambda = new double[rank];
        for (int i = 0; i < rank; i++) {
            lambda[i] = 100 * Math.pow(0.8, i);
        }
        double[] c = new double[h * h];
        for (int row = 0; row < h; row++) {
            for (int col = row; col < h; col++) {
                double sum = row == col ? sigma : 0;
                for (int i = 0; i < rank; i++) {
                    sum += lambda[i] * q.get(row, i) * q.get(col, i);
                }
                c[row * h + col] = sum;
                c[col * h + row] = sum;
            }
        }
        Optional<TopEigenpairs.Pairs> fast = TopEigenpairs.subspaceIteration(DMatrixRMaj.wrap(h, h, c), k);
        assertTrue(fast.isPresent(), "subspace iteration converged");
        TopEigenpairs.Pairs pairs = fast.get();
        for (int i = 0; i < k; i++) {
            double expected = lambda[i] + sigma;
            assertEquals(expected, pairs.values()[i], 1e-9 * expected, "eigenvalue " + i);
            double dot = 0;
            double norm = 0;
            for (int row = 0; row < h; row++) {
                dot += pairs.vectors()[i][row] * q.get(row, i);
                norm += pairs.vectors()[i][row] * pairs.vectors()[i][row];
            }
            assertEquals(1.0, Math.sqrt(norm), 1e-12, "unit eigenvector " + i);
            assertTrue(Math.abs(dot) >= 1 - 1e-9, "eigenvector " + i + ": |cos| = " + Math.abs(dot));
        }
    }
}
