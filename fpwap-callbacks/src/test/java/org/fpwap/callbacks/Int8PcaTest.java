package org.fpwap.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Random;
import org.fpwap.callback.Layers;
import org.fpwap.callback.Store;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.Sample;
import org.fpwap.forward.Hook;
import org.fpwap.result.ActivationTable;
import org.fpwap.result.Result;
import org.fpwap.sweep.Sweep;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PCA fitted from int8-stored activations of the real stories260K model finds the same subspace as PCA fitted
 * from the FP32 ones: the principal angles between the two top-k subspaces are within the Davis–Kahan bound
 * {@code sin θ ≤ ‖C_int8 − C_f32‖₂ / (λ_k(C_f32) − λ_{k+1}(C_int8))}, and below one degree. Both
 * PCAs are the independent FP64 reference (two-pass covariance, Jacobi), not the callback under test.
 */
class Int8PcaTest {

    private static final Path MODEL = Path.of(System.getProperty("fpwap.shared.dir", "../shared"), "models", "stories260K");
    private static final int K = 4;

    @TempDir
    Path tmp;

    @Test
    void int8StoredActivationsGiveTheFp32PrincipalSubspace() {
        Assumptions.assumeTrue(Files.isDirectory(MODEL), MODEL + " is absent; this test needs the real model");
        Random random = new Random(14);
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            int[] tokens = random.ints(4 + random.nextInt(20), 2, 512).toArray();
            tokens[0] = 1; // BOS, as the model was trained
            samples.add(new Sample(i, tokens, OptionalLong.empty()));
        }
        RawActivations f32 = RawActivations.at(Layers.of(3)).pool(Pool.ALL).named("f32");
        RawActivations int8 = RawActivations.at(Layers.of(3)).pool(Pool.ALL).named("int8").store(Store.INT8);
        try (Sweep sweep = Sweep.builder().model(MODEL).dataset(Dataset.of(samples)).callbacks(f32, int8)
                .workDir(tmp.resolve("work")).build()) {
            Result result = sweep.run();
            ActivationTable exactTable = result.activations("f32", 3, Hook.RESIDUAL_POST);
            ActivationTable int8Table = result.activations("int8", 3, Hook.RESIDUAL_POST);
            assertEquals(Store.INT8, int8Table.store());
            double[][] cExact = Reference.covariance(Reference.rows(exactTable));
            double[][] cInt8 = Reference.covariance(Reference.rows(int8Table));
            Reference.Eigen exact = Reference.jacobi(cExact);
            Reference.Eigen quantized = Reference.jacobi(cInt8);

            double[] cosines = principalCosines(exact.vectors(), quantized.vectors(), K);
            double sinMax = Math.sqrt(Math.max(0, 1 - cosines[K - 1] * cosines[K - 1]));
            double errorNorm = spectralNorm(difference(cInt8, cExact));
            double gap = exact.values()[K - 1] - quantized.values()[K];
            double bound = errorNorm / gap;
            System.out.printf(Locale.ROOT, "int8 PCA (k=%d, %d vectors): largest principal angle %.4f deg, Davis-Kahan bound "
                    + "%.4f deg; ||dC||_2 = %.3g, gap = %.3g, lambda_1 = %.3g%n", K, Reference.rows(exactTable).length,
                    Math.toDegrees(Math.asin(sinMax)), Math.toDegrees(Math.asin(Math.min(1, bound))), errorNorm, gap,
                    exact.values()[0]);
            assertTrue(gap > 0, "the top-" + K + " subspace is separated");
            assertTrue(sinMax <= bound, "principal angle sin " + sinMax + " exceeds the Davis-Kahan bound " + bound);
            // The bound is pessimistic (measured: 0.43 deg against a 7.3 deg bound) but not vacuous.
            assertTrue(bound < Math.sin(Math.toRadians(10)), "the bound is informative: sin " + bound);
            assertTrue(sinMax < Math.sin(Math.toRadians(1)), "largest principal angle below 1 degree: sin " + sinMax);
            for (int i = 0; i < K; i++) {
                // Weyl: each eigenvalue moves by at most ||dC||_2.
                assertTrue(Math.abs(quantized.values()[i] - exact.values()[i]) <= errorNorm * (1 + 1e-9),
                        "eigenvalue " + i + ": " + quantized.values()[i] + " vs " + exact.values()[i]);
            }
        }
    }

    /** Cosines of the principal angles between the spans of the first k rows of a and of b, descending. */
    private static double[] principalCosines(double[][] a, double[][] b, int k) {
        double[][] m = new double[k][k];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                m[i][j] = dot(a[i], b[j]);
            }
        }
        double[][] mtm = new double[k][k];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                for (int r = 0; r < k; r++) {
                    mtm[i][j] += m[r][i] * m[r][j];
                }
            }
        }
        double[] values = Reference.jacobi(mtm).values();
        double[] cos = new double[k];
        for (int i = 0; i < k; i++) {
            cos[i] = Math.sqrt(Math.max(0, Math.min(1, values[i])));
        }
        return cos;
    }

    private static double spectralNorm(double[][] symmetric) {
        double[] values = Reference.jacobi(symmetric).values();
        return Math.max(Math.abs(values[0]), Math.abs(values[values.length - 1]));
    }

    private static double[][] difference(double[][] a, double[][] b) {
        double[][] d = new double[a.length][a.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a.length; j++) {
                d[i][j] = a[i][j] - b[i][j];
            }
        }
        return d;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
