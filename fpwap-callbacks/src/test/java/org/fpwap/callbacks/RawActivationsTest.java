package org.fpwap.callbacks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import org.fpwap.callback.Layers;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.Sample;
import org.fpwap.forward.Hook;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.result.ActivationTable;
import org.fpwap.result.Result;
import org.fpwap.sweep.Sweep;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RawActivations' last and mean pooling equal the last row and the mean of the same sweep's every-token
 * output, computed in the test, whatever a sample's length and microbatch position.
 */
class RawActivationsTest {

    @TempDir
    Path tmp;

    @Test
    void lastAndMeanArePoolsOfTheRealTokensOnly() {
        Path model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.MISTRAL).layers(2).build(), model);
        Random random = new Random(3);
        List<Sample> samples = new ArrayList<>();
        int[] lengths = {1, 9, 4, 30, 2, 17, 8};
        for (int i = 0; i < lengths.length; i++) {
            int[] t = random.ints(lengths[i], 0, 128).toArray();
            samples.add(new Sample(i, t, OptionalLong.empty()));
        }
        RawActivations all = RawActivations.at(Layers.of(1)).hooks(Hook.MLP_OUT, Hook.RESIDUAL_POST).pool(Pool.ALL).named("all");
        RawActivations last = RawActivations.at(Layers.of(1)).hooks(Hook.MLP_OUT, Hook.RESIDUAL_POST).pool(Pool.LAST).named("last");
        RawActivations mean = RawActivations.at(Layers.of(1)).hooks(Hook.MLP_OUT, Hook.RESIDUAL_POST).pool(Pool.MEAN).named("mean");
        try (Sweep sweep = Sweep.builder().model(model).dataset(Dataset.of(samples)).callbacks(all, last, mean)
                .microbatch(3).finalNorm(false).build()) {
            Result result = sweep.run();
            for (Hook hook : List.of(Hook.MLP_OUT, Hook.RESIDUAL_POST)) {
                ActivationTable tokens = result.activations("all", 1, hook);
                ActivationTable lastTable = result.activations("last", 1, hook);
                ActivationTable meanTable = result.activations("mean", 1, hook);
                for (int i = 0; i < samples.size(); i++) {
                    float[][] rows = tokens.vectors(i);
                    assertEquals(lengths[i], rows.length, "every real token, and only those");
                    assertArrayEquals(rows[rows.length - 1], lastTable.vector(i), 0f, "last real token of sample " + i);
                    float[] expectedMean = new float[rows[0].length];
                    for (int h = 0; h < expectedMean.length; h++) {
                        double sum = 0;
                        for (float[] row : rows) {
                            sum += row[h];
                        }
                        expectedMean[h] = (float) (sum / rows.length);
                    }
                    assertArrayEquals(expectedMean, meanTable.vector(i), 1e-5f, "mean over real tokens of sample " + i);
                }
            }
        }
    }
}
