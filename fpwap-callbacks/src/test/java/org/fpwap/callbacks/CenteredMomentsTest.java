package org.fpwap.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The FP64 Chan/Welford accumulator on its own (no model): exact against a two-pass FP64 reference even
 * when the data's mean is 1000× its spread, where the FP32 {@code E[xxᵀ] − μμᵀ} formula breaks down; any
 * split into merged parts gives the same moments; and the eigen-fit's sign and ordering conventions.
 */
class CenteredMomentsTest {

    private static final int DIM = 6;

    /** FP32 vectors with mean ~1000 and correlated unit-scale spread. */
    private static float[][] offsetData(int n, long seed) {
        Random random = new Random(seed);
        float[][] x = new float[n][DIM];
        double[] centre = new double[DIM];
        for (int j = 0; j < DIM; j++) {
            centre[j] = 1000 + 50 * random.nextDouble();
        }
        for (int i = 0; i < n; i++) {
            double z = random.nextGaussian();
            for (int j = 0; j < DIM; j++) {
                x[i][j] = (float) (centre[j] + (j + 1) * 0.3 * random.nextGaussian() + 0.5 * z);
            }
        }
        return x;
    }

    /** The textbook one-pass formula in FP32: (Σxxᵀ − n·μμᵀ) / (n − 1), every sum in float. */
    private static float[][] naiveFp32Covariance(float[][] x) {
        int n = x.length;
        float[] sum = new float[DIM];
        float[][] sxx = new float[DIM][DIM];
        for (float[] row : x) {
            for (int i = 0; i < DIM; i++) {
                sum[i] += row[i];
                for (int j = 0; j < DIM; j++) {
                    sxx[i][j] += row[i] * row[j];
                }
            }
        }
        float[][] c = new float[DIM][DIM];
        for (int i = 0; i < DIM; i++) {
            for (int j = 0; j < DIM; j++) {
                float mi = sum[i] / n;
                float mj = sum[j] / n;
                c[i][j] = (sxx[i][j] - n * mi * mj) / (n - 1);
            }
        }
        return c;
    }

    private static double[][] toDouble(float[][] x) {
        double[][] d = new double[x.length][DIM];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < DIM; j++) {
                d[i][j] = x[i][j];
            }
        }
        return d;
    }

    /** Feeds {@code x} in batches of varying sizes (1..maxBatch). */
    private static CenteredMoments accumulate(float[][] x, int maxBatch, long seed) {
        Random random = new Random(seed);
        CenteredMoments m = CenteredMoments.empty(DIM);
        int i = 0;
        while (i < x.length) {
            int b = Math.min(x.length - i, 1 + random.nextInt(maxBatch));
            double[] rows = new double[b * DIM];
            for (int r = 0; r < b; r++) {
                for (int j = 0; j < DIM; j++) {
                    rows[r * DIM + j] = x[i + r][j];
                }
            }
            m.add(rows, b);
            i += b;
        }
        return m;
    }

    @Test
    void staysExactWhenTheMeanIsAThousandTimesTheSpreadWhereTheNaiveFp32FormulaFails() {
        float[][] x = offsetData(20_000, 11);
        double[][] reference = Reference.covariance(toDouble(x));
        float[][] naive = naiveFp32Covariance(x);
        CenteredMoments ours = accumulate(x, 16, 5);
        double[] cov = ours.covariance();

        double worstNaive = 0;
        double worstOurs = 0;
        for (int i = 0; i < DIM; i++) {
            for (int j = 0; j < DIM; j++) {
                double scale = Math.sqrt(reference[i][i] * reference[j][j]);
                worstNaive = Math.max(worstNaive, Math.abs(naive[i][j] - reference[i][j]) / scale);
                worstOurs = Math.max(worstOurs, Math.abs(cov[i * DIM + j] - reference[i][j]) / scale);
            }
        }
        double[] refMean = Reference.mean(toDouble(x));
        double[] mean = ours.mean();
        for (int j = 0; j < DIM; j++) {
            assertEquals(refMean[j], mean[j], 1e-9 * Math.abs(refMean[j]), "mean " + j);
        }
        System.out.printf("mean/spread 1000: naive FP32 worst relative error %.3g, FP64 Chan merge %.3g%n", worstNaive, worstOurs);
        assertTrue(worstNaive > 0.1, "the naive FP32 formula should be >10% off here, was " + worstNaive);
        assertTrue(worstOurs < 1e-6, "merged centred moments should match the two-pass FP64 reference, worst " + worstOurs);
        assertEquals(x.length, ours.count());
    }

    @Test
    void anySplitIntoMergedPartsGivesTheSameMoments() {
        float[][] x = offsetData(3_000, 2);
        CenteredMoments whole = accumulate(x, 3000, 1);
        CenteredMoments parts = CenteredMoments.empty(DIM);
        int[] cuts = {0, 1, 400, 401, 1700, 3000};
        for (int c = 0; c + 1 < cuts.length; c++) {
            float[][] slice = java.util.Arrays.copyOfRange(x, cuts[c], cuts[c + 1]);
            parts.merge(accumulate(slice, 37, c));
        }
        parts.merge(CenteredMoments.empty(DIM));
        assertEquals(whole.count(), parts.count());
        double[] a = whole.m2();
        double[] b = parts.m2();
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i], b[i], 1e-9 * Math.abs(a[i / DIM * DIM + i / DIM]) + 1e-9, "M2 entry " + i);
        }
        for (int i = 0; i < DIM; i++) {
            for (int j = 0; j < DIM; j++) {
                assertEquals(a[i * DIM + j], a[j * DIM + i], 0.0, "M2 is symmetric");
            }
        }
        assertTrue(whole.copy().equals(whole));
    }

    @Test
    void theFitOrdersComponentsByVarianceWithTheLargestCoordinatePositive() {
        // Independent coordinates with variances 9, 4, 1 (after a sign-flipping rotation of axes 0 and 2).
        Random random = new Random(4);
        int n = 50_000;
        double[] rows = new double[n * 3];
        for (int i = 0; i < n; i++) {
            rows[i * 3] = -3 * random.nextGaussian();
            rows[i * 3 + 1] = 2 * random.nextGaussian() + 7;
            rows[i * 3 + 2] = random.nextGaussian();
        }
        CenteredMoments m = CenteredMoments.of(rows, n, 3);
        PcaFit fit = PcaFit.of(m, 3);
        double[] var = fit.explainedVariance();
        assertEquals(9, var[0], 0.2);
        assertEquals(4, var[1], 0.1);
        assertEquals(1, var[2], 0.03);
        double[][] c = fit.components();
        for (int k = 0; k < 3; k++) {
            assertEquals(1, Math.abs(c[k][k]), 1e-2, "component " + k + " is axis " + k);
            assertTrue(c[k][k] > 0, "largest-magnitude coordinate positive");
            assertEquals(1, c[k][0] * c[k][0] + c[k][1] * c[k][1] + c[k][2] * c[k][2], 1e-12, "unit");
        }
        assertThrows(IllegalArgumentException.class, () -> PcaFit.of(m, 4));
        assertThrows(IllegalStateException.class, () -> CenteredMoments.of(new double[3], 1, 3).covariance());
    }
}
