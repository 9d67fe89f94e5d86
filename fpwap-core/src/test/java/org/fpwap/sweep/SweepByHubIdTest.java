package org.fpwap.sweep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.fpwap.callback.Layers;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.Sample;
import org.fpwap.forward.Hook;
import org.fpwap.hub.FakeHubCache;
import org.fpwap.hub.ModelNotFoundException;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.result.ActivationTable;
import org.fpwap.result.Result;
import org.fpwap.safetensors.DType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code Sweep.builder().model("ORG/NAME")} reads the snapshot the cache's refs point at, through the blob
 * links, and computes exactly what the same files give when named by directory. Two revisions hold models
 * of different seeds, so reading the wrong snapshot would show.
 */
class SweepByHubIdTest {
    private static final String ID = "acme/tiny-qwen";
    private static final List<Sample> PROMPTS = SweepTestData.prompts(5, 128, 7, 3, 5);

    @TempDir
    static Path tmp;

    private static Path release;
    private static Path current;
    private static FakeHubCache cache;

    @BeforeAll
    static void makeCache() {
        release = tmp.resolve("release");
        current = tmp.resolve("current");
        // sharded BF16: the index and both shards are links into blobs/
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.QWEN2).layers(2).dtype(DType.BF16).shards(2).seed(1)
                .build(), release);
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.QWEN2).layers(2).dtype(DType.BF16).shards(2).seed(2)
                .build(), current);
        cache = new FakeHubCache(tmp.resolve("hub"));
        cache.add(ID, FakeHubCache.commit('1'), release, "v1.0");
        cache.add(ID, FakeHubCache.commit('2'), current, "main");
    }

    private static float[][] lastLayer(Sweep.Builder builder) {
        try (Sweep sweep = builder.dataset(Dataset.of(PROMPTS))
                .callbacks(new RecordingCallback("record", Layers.of(1), Set.of(Hook.RESIDUAL_POST))).build()) {
            Result result = sweep.run();
            ActivationTable table = result.activations(1, Hook.RESIDUAL_POST);
            float[][] rows = new float[table.sampleCount()][];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = flatten(table.vectors(i));
            }
            return rows;
        }
    }

    private static float[] flatten(float[][] tokens) {
        int n = Arrays.stream(tokens).mapToInt(t -> t.length).sum();
        float[] out = new float[n];
        int at = 0;
        for (float[] t : tokens) {
            System.arraycopy(t, 0, out, at, t.length);
            at += t.length;
        }
        return out;
    }

    @Test
    void anIdAndARevisionComputeWhatThatSnapshotsFilesGiveByDirectory() {
        float[][] byId = lastLayer(Sweep.builder().model(ID, "v1.0").hubEnvironment(cache.environment()));
        float[][] byDirectory = lastLayer(Sweep.builder().model(release));
        float[][] otherRevision = lastLayer(Sweep.builder().model(ID).hubEnvironment(cache.environment()));
        float[][] mainByDirectory = lastLayer(Sweep.builder().model(current));
        assertEquals(PROMPTS.size(), byId.length);
        for (int i = 0; i < byId.length; i++) {
            assertArrayEquals(byDirectory[i], byId[i], "sample " + i + " at v1.0");
            assertArrayEquals(mainByDirectory[i], otherRevision[i], "sample " + i + " at main");
            assertFalse(Arrays.equals(byId[i], otherRevision[i]), "the two revisions are different models");
        }
    }

    @Test
    void anIdNotInTheCacheFailsInBuildNamingTheCache() {
        ModelNotFoundException e = assertThrows(ModelNotFoundException.class, () -> Sweep.builder().model("acme/absent")
                .hubEnvironment(cache.environment()).dataset(Dataset.of(PROMPTS))
                .callbacks(RecordingCallback.everywhere()).build());
        assertTrue(e.getMessage().contains(cache.root().resolve("models--acme--absent").toString()), e.getMessage());
    }
}
