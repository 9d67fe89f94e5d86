package org.fpwap.callbacks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.fpwap.callback.Artifact;
import org.fpwap.callback.ArtifactTensor;
import org.fpwap.callback.Layers;
import org.fpwap.dataset.Dataset;
import org.fpwap.forward.Hook;
import org.fpwap.result.Result;
import org.fpwap.sweep.Sweep;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * IncrementalPCA's components and explained variance equal an FP64 batch PCA, computed in the test (two-pass
 * covariance, Jacobi eigensolver), of the very vectors a RawActivations collects in the same sweep: for
 * last-token, mean and every-token input, at two hooks and two layers; and k > H fails at sweep start.
 */
class IncrementalPCATest {

    @TempDir
    Path tmp;

    @Test
    void pcaEqualsABatchReferenceOnTheSameVectors() {
        Path model = Reference.model(tmp.resolve("model"));
        Dataset data = Reference.dataset(150, 12, 7);
        int k = 12;
        Hook[] hooks = {Hook.RESIDUAL_POST, Hook.MLP_OUT};
        try (Sweep sweep = Sweep.builder().model(model).dataset(data).microbatch(8).finalNorm(false)
                .callbacks(
                        IncrementalPCA.at(Layers.of(0, 2)).hooks(hooks).components(k).named("pcaLast"),
                        IncrementalPCA.at(Layers.of(0, 2)).hooks(hooks).components(k).input(Pool.MEAN).named("pcaMean"),
                        IncrementalPCA.at(Layers.of(2)).hooks(hooks).components(k).input(Pool.ALL).named("pcaAll"),
                        RawActivations.at(Layers.of(0, 2)).hooks(hooks).pool(Pool.LAST).named("last"),
                        RawActivations.at(Layers.of(0, 2)).hooks(hooks).pool(Pool.MEAN).named("mean"),
                        RawActivations.at(Layers.of(2)).hooks(hooks).pool(Pool.ALL).named("all"))
                .build()) {
            Result result = sweep.run();
            for (Hook hook : hooks) {
                for (int layer : new int[] {0, 2}) {
                    check(result, "pcaLast", "last", layer, hook, k);
                    check(result, "pcaMean", "mean", layer, hook, k);
                }
                check(result, "pcaAll", "all", 2, hook, k);
            }
        }
    }

    private static Artifact find(Result result, String callback, int layer, Hook hook) {
        return result.artifacts().stream()
                .filter(a -> a.kind().equals(IncrementalPCA.KIND) && a.layer().getAsInt() == layer && a.hook().orElseThrow() == hook
                        && a.metadata().get("callback").equals(callback))
                .findFirst().orElseThrow();
    }

    private static void check(Result result, String pca, String raw, int layer, Hook hook, int k) {
        String where = pca + " layer " + layer + " " + hook;
        double[][] x = Reference.rows(result.activations(raw, layer, hook));
        int h = x[0].length;
        Reference.Eigen ref = Reference.jacobi(Reference.covariance(x));
        double[] refMean = Reference.mean(x);

        Artifact a = find(result, pca, layer, hook);
        float[] components = ((ArtifactTensor.F32) a.tensor("components")).data();
        float[] variance = ((ArtifactTensor.F32) a.tensor("explained_variance")).data();
        float[] mean = ((ArtifactTensor.F32) a.tensor("mean")).data();
        assertArrayEquals(new long[] {k, h}, a.tensor("components").shape(), where);
        assertArrayEquals(new long[] {x.length}, ((ArtifactTensor.I64) a.tensor("n_samples")).data(), where);
        assertEquals(Long.toString(x.length), a.metadata().get("n_samples"));
        assertTrue(!a.metadata().get("model_fingerprint").isEmpty(), "fingerprint in the metadata");

        double worstVar = 0;
        double worstCos = 0;
        int compared = 0;
        for (int c = 0; c < k; c++) {
            double rel = Math.abs(variance[c] - ref.values()[c]) / ref.values()[c];
            worstVar = Math.max(worstVar, rel);
            assertTrue(rel <= 1e-6, where + ": explained variance " + c + " " + variance[c] + " vs " + ref.values()[c]);
            double normSq = 0;
            int biggest = 0;
            for (int j = 0; j < h; j++) {
                float v = components[c * h + j];
                normSq += (double) v * v;
                if (Math.abs(v) > Math.abs(components[c * h + biggest])) {
                    biggest = j;
                }
            }
            assertEquals(1, normSq, 1e-6, where + ": component " + c + " is a unit vector");
            assertTrue(components[c * h + biggest] > 0, where + ": largest-magnitude coordinate of component " + c + " positive");
            double gapBefore = c == 0 ? Double.MAX_VALUE : ref.values()[c - 1] - ref.values()[c];
            double gapAfter = ref.values()[c] - ref.values()[c + 1];
            if (Math.min(gapBefore, gapAfter) > 1e-3 * ref.values()[c]) {
                double cos = Math.abs(Reference.dot(ref.vectors()[c], components, c * h));
                worstCos = Math.max(worstCos, 1 - cos);
                assertTrue(cos >= 1 - 1e-5, where + ": component " + c + " |cos| " + cos);
                compared++;
            }
        }
        for (int j = 0; j < h; j++) {
            assertEquals(refMean[j], mean[j], 1e-6 * Math.max(1, Math.abs(refMean[j])), where + ": mean " + j);
        }
        assertTrue(compared >= k / 2, where + ": too few separated eigenvalues to compare (" + compared + ")");
        System.out.printf("%s: n=%d, worst explained-variance rel err %.2e, worst 1-|cos| %.2e over %d separated components%n",
                where, x.length, worstVar, worstCos, compared);
    }

    @Test
    void moreComponentsThanTheHiddenSizeFailsAtSweepStart() {
        Path model = Reference.model(tmp.resolve("model"));
        try (Sweep sweep = Sweep.builder().model(model).dataset(Reference.dataset(4, 3, 1))
                .callbacks(IncrementalPCA.at(Layers.of(0)).components(65)).build()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, sweep::run);
            assertTrue(e.getMessage().contains("k=65") && e.getMessage().contains("64"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> IncrementalPCA.at(Layers.of(0)).components(0));
    }
}
