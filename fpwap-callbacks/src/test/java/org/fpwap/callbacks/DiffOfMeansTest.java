package org.fpwap.callbacks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.function.LongFunction;
import org.fpwap.callback.Artifact;
import org.fpwap.callback.ArtifactTensor;
import org.fpwap.callback.Layers;
import org.fpwap.forward.Hook;
import org.fpwap.result.ActivationTable;
import org.fpwap.result.Result;
import org.fpwap.sweep.Sweep;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DiffOfMeans' class means equal the per-class means of the pooled vectors a RawActivations emits in the
 * same sweep, computed directly in the test; direction = mean(1) − mean(0); unlabelled samples are skipped
 * and counted; a labelling function replaces the dataset labels.
 */
class DiffOfMeansTest {

    @TempDir
    Path tmp;

    @Test
    void classMeansEqualDirectPerClassMeansAndUnlabelledSamplesAreSkipped() {
        Path model = Reference.model(tmp.resolve("model"));
        // Labels cycle 0, 1, none, 1, 2, 0, none.
        var data = Reference.dataset(60, 10, 9, 0L, 1L, null, 1L, 2L, 0L, null);
        try (Sweep sweep = Sweep.builder().model(model).dataset(data).microbatch(7).finalNorm(false)
                .callbacks(
                        DiffOfMeans.at(Layers.of(1)).hooks(Hook.RESIDUAL_POST, Hook.ATTN_OUT).named("dmLast"),
                        DiffOfMeans.at(Layers.of(1)).hooks(Hook.RESIDUAL_POST).pool(Pool.MEAN).named("dmMean"),
                        DiffOfMeans.at(Layers.of(1)).hooks(Hook.RESIDUAL_POST).named("byParity")
                                .labels((id, label) -> id % 3 == 0 ? OptionalLong.empty() : OptionalLong.of(id % 2)),
                        RawActivations.at(Layers.of(1)).hooks(Hook.RESIDUAL_POST, Hook.ATTN_OUT).named("last"),
                        RawActivations.at(Layers.of(1)).hooks(Hook.RESIDUAL_POST).pool(Pool.MEAN).named("mean"))
                .build()) {
            Result result = sweep.run();
            ActivationTable lastPost = result.activations("last", 1, Hook.RESIDUAL_POST);
            check(find(result, "dmLast", Hook.RESIDUAL_POST), lastPost, i -> lastPost.label((int) i), 17);
            ActivationTable lastAttn = result.activations("last", 1, Hook.ATTN_OUT);
            check(find(result, "dmLast", Hook.ATTN_OUT), lastAttn, i -> lastAttn.label((int) i), 17);
            ActivationTable meanPost = result.activations("mean", 1, Hook.RESIDUAL_POST);
            check(find(result, "dmMean", Hook.RESIDUAL_POST), meanPost, i -> meanPost.label((int) i), 17);
            check(find(result, "byParity", Hook.RESIDUAL_POST), lastPost,
                    i -> i % 3 == 0 ? OptionalLong.empty() : OptionalLong.of(i % 2), 20);
        }
    }

    private static Artifact find(Result result, String callback, Hook hook) {
        return result.artifacts().stream()
                .filter(a -> a.kind().equals(DiffOfMeans.KIND) && a.hook().orElseThrow() == hook && a.metadata().get("callback").equals(callback))
                .findFirst().orElseThrow();
    }

    private static void check(Artifact a, ActivationTable table, LongFunction<OptionalLong> labelOf, long expectedUnlabelled) {
        int h = table.hiddenSize();
        TreeMap<Long, double[]> sums = new TreeMap<>();
        TreeMap<Long, Long> counts = new TreeMap<>();
        long unlabelled = 0;
        for (int i = 0; i < table.sampleCount(); i++) {
            OptionalLong label = labelOf.apply(i);
            if (label.isEmpty()) {
                unlabelled++;
                continue;
            }
            double[] s = sums.computeIfAbsent(label.getAsLong(), l -> new double[h]);
            float[] v = table.vector(i);
            for (int j = 0; j < h; j++) {
                s[j] += v[j];
            }
            counts.merge(label.getAsLong(), 1L, Long::sum);
        }
        assertEquals(expectedUnlabelled, unlabelled);
        assertEquals(Long.toString(unlabelled), a.metadata().get("unlabelled"));
        assertArrayEquals(counts.keySet().stream().mapToLong(Long::longValue).toArray(), ((ArtifactTensor.I64) a.tensor("classes")).data());
        assertArrayEquals(counts.values().stream().mapToLong(Long::longValue).toArray(), ((ArtifactTensor.I64) a.tensor("counts")).data());
        float[] means = ((ArtifactTensor.F32) a.tensor("means")).data();
        assertArrayEquals(new long[] {counts.size(), h}, a.tensor("means").shape());
        int c = 0;
        Map<Long, double[]> direct = new TreeMap<>();
        for (Map.Entry<Long, double[]> e : sums.entrySet()) {
            double[] m = e.getValue().clone();
            for (int j = 0; j < h; j++) {
                m[j] /= counts.get(e.getKey());
                assertEquals(m[j], means[c * h + j], 1e-6 * Math.max(1, Math.abs(m[j])), "class " + e.getKey() + " dim " + j);
            }
            direct.put(e.getKey(), m);
            c++;
        }
        float[] direction = ((ArtifactTensor.F32) a.tensor("direction")).data();
        for (int j = 0; j < h; j++) {
            double d = direct.get(1L)[j] - direct.get(0L)[j];
            assertEquals(d, direction[j], 1e-6 * Math.max(1, Math.abs(d)), "direction dim " + j);
        }
    }

    @Test
    void noDirectionWithoutBothClassesAndAllPoolingIsRejected() {
        Path model = Reference.model(tmp.resolve("model"));
        try (Sweep sweep = Sweep.builder().model(model).dataset(Reference.dataset(9, 5, 2, 2L, 0L, null))
                .callbacks(DiffOfMeans.at(Layers.of(0))).build()) {
            Artifact a = sweep.run().artifact(DiffOfMeans.KIND, 0, Hook.RESIDUAL_POST);
            assertFalse(a.tensors().containsKey("direction"));
            assertArrayEquals(new long[] {0, 2}, ((ArtifactTensor.I64) a.tensor("classes")).data());
            assertEquals("3", a.metadata().get("unlabelled"));
        }
        assertThrows(IllegalArgumentException.class, () -> DiffOfMeans.at(Layers.of(0)).pool(Pool.ALL));
    }
}
