package org.fpwap.callbacks;

import java.util.Arrays;

/**
 * The top-{@code k} principal components of a set of vectors, from their {@link CenteredMoments}: the
 * eigenvectors of the sample covariance {@code M2 / (n − 1)} with the largest eigenvalues, in FP64, largest
 * first ({@link TopEigenpairs}: EJML's symmetric QR algorithm up to H = 1024, residual-checked subspace
 * iteration above). Each component is a unit vector whose
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
        TopEigenpairs.Pairs top = TopEigenpairs.of(moments.covariance(), h, k);
        double[][] components = new double[k][];
        double[] variances = top.values().clone();
        for (int c = 0; c < k; c++) {
            components[c] = oriented(top.vectors()[c], h);
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
