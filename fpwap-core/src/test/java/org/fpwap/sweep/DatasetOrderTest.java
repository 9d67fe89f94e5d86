package org.fpwap.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.fpwap.callback.CallbackAction;
import org.fpwap.callback.Layers;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.Sample;
import org.fpwap.forward.Hook;
import org.fpwap.forward.OurForward;
import org.fpwap.forward.PaddingSide;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.result.ActivationTable;
import org.fpwap.result.Result;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The engine processes samples sorted by length (long, short, long, short... becomes 30, 29, 28, ...), but
 * results come back in dataset order: row {@code i} is sample {@code i}, with its own label and its own
 * hidden states, as the one-microbatch reference forward computes them.
 */
class DatasetOrderTest {

    private static final int LAYERS = 3;
    private static final int[] INTERLEAVED = {30, 2, 29, 3, 28, 4, 27, 5, 26, 6, 25, 7, 24};

    @TempDir
    Path tmp;

    @ParameterizedTest
    @EnumSource(value = ModelFamily.class, names = {"LLAMA", "GPT2"})
    void resultsComeBackInDatasetOrderWithTheirLabels(ModelFamily family) {
        Path model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(family).layers(LAYERS).build(), model);
        List<Sample> data = SweepTestData.prompts(21, 128, INTERLEAVED);
        float[][][][] reference = OurForward.run(model, data.stream().map(Sample::tokens).toList(), PaddingSide.RIGHT, true,
                Long.MAX_VALUE);
        TestCallback pooled = TestCallback.read("last", Layers.of(1), Set.of(Hook.MLP_OUT),
                b -> CallbackAction.Emit.perSample(b.lastRealToken()));
        try (Sweep sweep = Sweep.builder().model(model).dataset(Dataset.of(data)).microbatch(3)
                .callbacks(TestCallback.recorder("states", Layers.all(), Set.of(Hook.RESIDUAL_PRE, Hook.RESIDUAL_POST), false))
                .build();
                Sweep lastToken = Sweep.builder().model(model).dataset(Dataset.of(data)).microbatch(3).callbacks(pooled).build()) {
            Result result = sweep.run();
            for (int layer = 0; layer < LAYERS; layer++) {
                ActivationTable pre = result.activations(layer, Hook.RESIDUAL_PRE);
                ActivationTable post = result.activations(layer, Hook.RESIDUAL_POST);
                assertEquals(data.size(), post.sampleCount());
                for (int i = 0; i < data.size(); i++) {
                    assertEquals(i, post.sampleId(i));
                    assertEquals(INTERLEAVED[i], post.tokenCount(i), "sample " + i + " token count");
                    assertEquals(data.get(i).label(), post.label(i), "sample " + i + " label");
                    double errPre = OurForward.relativeError(pre.vectors(i), reference[i][layer]);
                    double errPost = OurForward.relativeError(post.vectors(i), reference[i][layer + 1]);
                    assertTrue(errPre < 1e-6, family + " layer " + layer + " residual_pre sample " + i + ": " + errPre);
                    assertTrue(errPost < 1e-6, family + " layer " + layer + " residual_post sample " + i + ": " + errPost);
                }
            }

            // A pooled (per-sample) emit lands in dataset order too: row i is sample i's last real token.
            Result pooledResult = lastToken.run();
            ActivationTable mlp = pooledResult.activations(1, Hook.MLP_OUT);
            for (int i = 0; i < data.size(); i++) {
                assertEquals(1, mlp.tokenCount(i));
                assertEquals(data.get(i).label(), mlp.label(i));
            }
            assertEmitsMatchPerTokenRun(model, data, mlp);
        }
    }

    /** The pooled emit equals the last row of a per-token emit of the same hook, sample by sample. */
    private void assertEmitsMatchPerTokenRun(Path model, List<Sample> data, ActivationTable pooled) {
        try (Sweep sweep = Sweep.builder().model(model).dataset(Dataset.of(data)).microbatch(3).workDir(tmp.resolve("tokens"))
                .callbacks(TestCallback.recorder("all", Layers.of(1), Set.of(Hook.MLP_OUT), false)).build()) {
            ActivationTable tokens = sweep.run().activations(1, Hook.MLP_OUT);
            for (int i = 0; i < data.size(); i++) {
                float[][] rows = tokens.vectors(i);
                assertTrue(SweepTestData.firstBitDifference(new float[][] {pooled.vector(i)}, new float[][] {rows[rows.length - 1]}) == null,
                        "sample " + i);
            }
        }
    }
}
