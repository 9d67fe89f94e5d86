package org.fpwap.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fpwap.callback.Artifact;
import org.fpwap.callback.Callback;
import org.fpwap.callback.Layers;
import org.fpwap.dataset.Dataset;
import org.fpwap.forward.Hook;
import org.fpwap.result.ActivationTable;
import org.fpwap.result.Result;
import org.fpwap.sweep.Sweep;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RawActivations, IncrementalPCA and DiffOfMeans in one sweep produce exactly (bit for bit) what each
 * produces alone: their state is per-callback and the sweep's order of batches does not depend on who
 * listens.
 */
class CombinedSweepTest {

    @TempDir
    Path tmp;

    private record Outputs(List<Artifact> artifacts, List<float[][]> rows) {}

    private Outputs run(Path model, Dataset data, Callback... callbacks) {
        try (Sweep sweep = Sweep.builder().model(model).dataset(data).microbatch(5).finalNorm(true).callbacks(callbacks).build()) {
            Result result = sweep.run();
            List<float[][]> rows = new ArrayList<>();
            for (var stream : result.streams()) {
                ActivationTable t = result.activations(stream.callback(), stream.layer(), stream.hook());
                for (int i = 0; i < t.sampleCount(); i++) {
                    rows.add(t.vectors(i));
                }
            }
            return new Outputs(result.artifacts(), rows);
        }
    }

    @Test
    void combinedOutputsAreBitIdenticalToEachCallbackAlone() {
        Path model = Reference.model(tmp.resolve("model"));
        Dataset data = Reference.dataset(40, 9, 3, 0L, 1L, 1L, null);
        RawActivations raw = RawActivations.at(Layers.of(1, 2)).hooks(Hook.RESIDUAL_POST, Hook.ATTN_OUT).pool(Pool.ALL);
        IncrementalPCA pca = IncrementalPCA.at(Layers.of(0, 2)).hooks(Hook.RESIDUAL_POST, Hook.ATTN_OUT).components(5);
        DiffOfMeans dom = DiffOfMeans.at(Layers.all()).pool(Pool.MEAN);

        Outputs together = run(model, data, dom, raw, pca);
        Outputs rawAlone = run(model, data, raw);
        Outputs pcaAlone = run(model, data, pca);
        Outputs domAlone = run(model, data, dom);

        List<Artifact> expected = new ArrayList<>(pcaAlone.artifacts());
        expected.addAll(domAlone.artifacts());
        List<Artifact> actual = together.artifacts();
        assertEquals(expected.size(), actual.size());
        assertEquals(4 + 3, actual.size(), "PCA at 2 layers × 2 hooks, diff-of-means at 3 layers");
        for (Artifact a : expected) {
            assertTrue(actual.contains(a), "artifact " + a.kind() + " " + a.layer() + " " + a.hook() + " equals the one produced alone");
        }
        assertEquals(rawAlone.rows().size(), together.rows().size());
        for (int i = 0; i < rawAlone.rows().size(); i++) {
            float[][] a = rawAlone.rows().get(i);
            float[][] b = together.rows().get(i);
            assertEquals(a.length, b.length);
            for (int t = 0; t < a.length; t++) {
                for (int j = 0; j < a[t].length; j++) {
                    assertEquals(Float.floatToRawIntBits(a[t][j]), Float.floatToRawIntBits(b[t][j]), "row " + i + " token " + t);
                }
            }
        }
    }
}
