package org.fpwap.callbacks;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * The top-{@code k} principal components of a set of vectors, from their {@link CenteredMoments}: the
 * eigenvectors of the sample covariance {@code M2 / (n − 1)} with the largest eigenvalues (EJML's
 * symmetric QR algorithm, in FP64), largest first. Each component is a unit vector whose
 * largest-magnitude coordinate (the first, on a tie) is positive, so the sign is deterministic.
 *
 * @param components {@code k} unit rows of width H
 * @param explainedVariance the matching eigenvalues of the sample covariance (denominator n − 1, as sklearn)
 * @param mean the mean of the vectors
 * @param samples how many vectors
 */
public record PcaFit(double[][] components, double[] explainedVariance, double[] mean, long samples) {

    public PcaFit {
        components = Arrays.stream(components).map(double[]::clone).toArray(double[][]::new);
        explainedVariance = explainedVariance.clone();
        mean = mean.clone();
    }

    @Override
    public double[][] components() {
        return Arrays.stream(components).map(double[]::clone).toArray(double[][]::new);
    }

    @Override
    public double[] explainedVariance() {
        return explainedVariance.clone();
    }

    @Override
    public double[] mean() {
        return mean.clone();
    }

    /** Fits the top {@code k} components of {@code moments} ({@code 1 ≤ k ≤ H}, at least two vectors). */
    public static PcaFit of(CenteredMoments moments, int k) {
        int h = moments.dim();
        if (k < 1 || k > h) {
            throw new IllegalArgumentException("k must be in 1.." + h + " (the vector width), got " + k);
        }
        DMatrixRMaj cov = DMatrixRMaj.wrap(h, h, moments.covariance());
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(h, true, true);
        if (!eig.decompose(cov)) {
            throw new IllegalStateException("the eigendecomposition of the " + h + "×" + h + " covariance did not converge");
        }
        int n = eig.getNumberOfEigenvalues();
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = eig.getEigenvalue(i).getReal();
        }
        Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -values[i]).thenComparingInt(i -> i));
        double[][] components = new double[k][];
        double[] variances = new double[k];
        for (int c = 0; c < k; c++) {
            int i = order[c];
            variances[c] = values[i];
            components[c] = oriented(eig.getEigenVector(i).getData(), h);
        }
        return new PcaFit(components, variances, moments.mean(), moments.count());
    }

    /** {@code v} scaled to unit length with its largest-magnitude coordinate positive. */
    static double[] oriented(double[] v, int h) {
        double[] u = Arrays.copyOf(v, h);
        double norm = 0;
        int biggest = 0;
        for (int j = 0; j < h; j++) {
            norm += u[j] * u[j];
            if (Math.abs(u[j]) > Math.abs(u[biggest])) {
                biggest = j;
            }
        }
        double scale = (u[biggest] < 0 ? -1 : 1) / Math.sqrt(norm);
        for (int j = 0; j < h; j++) {
            u[j] *= scale;
        }
        return u;
    }
}
