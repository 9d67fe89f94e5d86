package org.fpwap.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;
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
import org.fpwap.result.VerifyReport;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The layer-streaming schedule gives bit-identical activations to the naive all-layers-per-microbatch
 * schedule on the same microbatches, at every hook of every layer, for every family.
 */
class StreamingEqualsNaiveTest {

    @TempDir
    Path tmp;

    @ParameterizedTest
    @EnumSource(ModelFamily.class)
    void everyHookOfEveryLayerIsBitIdenticalToTheNaiveSchedule(ModelFamily family) {
        Path model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(family).layers(3).build(), model);
        List<Sample> data = SweepTestData.prompts(5, 128, 30, 2, 29, 3, 17, 17, 1, 9, 22);
        try (Sweep sweep = Sweep.builder().model(model).dataset(Dataset.of(data)).callbacks(RecordingCallback.everywhere())
                .microbatch(3).verify(true).finalNorm(true).workDir(tmp.resolve("work")).build()) {
            Result result = sweep.run();
            VerifyReport report = result.verification().orElseThrow();
            assertTrue(report.identical(), report.summary());
            assertEquals((long) data.size() * 3 * 4, report.checked());

            // And the emitted values are the model's hidden states (checked against the one-microbatch forward).
            List<int[]> prompts = data.stream().map(Sample::tokens).toList();
            float[][][][] reference = OurForward.run(model, prompts, PaddingSide.RIGHT, true, Long.MAX_VALUE);
            for (int layer = 0; layer < 3; layer++) {
                ActivationTable post = result.activations(layer, Hook.RESIDUAL_POST);
                for (int i = 0; i < data.size(); i++) {
                    double err = OurForward.relativeError(post.vectors(i), reference[i][layer + 1]);
                    assertTrue(err < 1e-6, family + " layer " + layer + " sample " + i + ": " + err);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = ModelFamily.class, names = "LLAMA")
    void aNondeterministicWriteCallbackMakesVerifyFail(ModelFamily family) {
        Path model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(family).layers(2).build(), model);
        Random noise = new Random(1);
        org.fpwap.callback.Callback jitter = new org.fpwap.callback.Callback() {
            @Override
            public org.fpwap.callback.LayerSelection layers() {
                return org.fpwap.callback.Layers.of(0);
            }

            @Override
            public java.util.Set<Hook> hooks() {
                return java.util.Set.of(Hook.MLP_OUT);
            }

            @Override
            public org.fpwap.callback.Phase phase() {
                return org.fpwap.callback.Phase.WRITE;
            }

            @Override
            public org.fpwap.callback.CallbackAction onBatch(org.fpwap.callback.Batch batch) {
                return new org.fpwap.callback.CallbackAction.WriteBack(batch.activations().add(noise.nextFloat()));
            }
        };
        try (Sweep sweep = Sweep.builder().model(model).dataset(Dataset.of(SweepTestData.prompts(5, 128, 5, 4, 3)))
                .callbacks(jitter, RecordingCallback.everywhere()).microbatch(2).verify(true).build()) {
            VerifyReport report = sweep.run().verification().orElseThrow();
            assertFalse(report.identical(), "a verify that cannot fail proves nothing: " + report.summary());
            assertEquals(0, report.firstMismatch().orElseThrow().layer());
        }
    }
}
