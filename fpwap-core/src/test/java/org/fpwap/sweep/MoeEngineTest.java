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
import org.fpwap.model.ModelConfigReader;
import org.fpwap.model.ModelFamily;
import org.fpwap.model.ModelSpec;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.profile.Profile;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The engine handles mixture-of-experts and latent-attention layers: every layer's weights (all experts) are read
 * exactly once over many microbatches, and the memory model counts the expert and MLA tensors so the automatic
 * microbatch keeps the planned peak within a tight device budget.
 */
class MoeEngineTest {

    @TempDir
    Path tmp;

    private Path model(ModelFamily family) {
        Path dir = tmp.resolve(family.modelType());
        RandomModelWriter.write(RandomModelConfig.builder(family).layers(3).dims(48, 4, family == ModelFamily.DEEPSEEK_V2 ? 4 : 2, 16)
                .intermediate(80).vocab(96).seed(59).build(), dir);
        return dir;
    }

    @ParameterizedTest
    @EnumSource(value = ModelFamily.class, names = {"MIXTRAL", "QWEN2_MOE", "DEEPSEEK_V2"})
    void everyLayersWeightsAllExpertsIncludedAreReadExactlyOnceOverManyMicrobatches(ModelFamily family) {
        Path model = model(family);
        List<Sample> prompts = SweepTestData.prompts(3, 96, 5, 9, 3, 7, 11, 2, 8, 4);
        TestCallback last = TestCallback.read("last", Layers.of(2), Set.of(Hook.RESIDUAL_POST), b -> CallbackAction.nothing());
        Profile profile;
        try (Sweep sweep = Sweep.builder().model(model).dataset(Dataset.of(prompts)).microbatch(2).finalNorm(false).callbacks(last).build()) {
            profile = sweep.run().profile();
        }
        long expected = 0;
        for (int l = 0; l < 3; l++) {
            expected += SweepTestData.layerBytes(model, l);
        }
        assertEquals(expected, profile.weightBytesRead());
    }

    @ParameterizedTest
    @EnumSource(value = ModelFamily.class, names = {"MIXTRAL", "QWEN2_MOE", "DEEPSEEK_V2"})
    void theAutomaticMicrobatchKeepsThePlannedPeakWithinATightBudget(ModelFamily family) {
        Path model = model(family);
        ModelSpec spec = ModelConfigReader.read(model);
        MemoryModel memory = new MemoryModel(spec);
        // The staged layout holds every expert: at least the parameters the spec counts, in FP32.
        long params = 0;
        for (var l : spec.layers()) {
            params = Math.max(params, l.parameters(spec.hiddenSize(), false));
        }
        assertTrue(memory.layerFp32Bytes() >= 4 * params, "layer bytes " + memory.layerFp32Bytes() + " < 4 x " + params);
        // A budget that fits the weights plus a few prompts' working set, not the whole dataset's.
        long budget = memory.weightBytesOnDevice(false) + memory.workingSetBytes(3, 40);
        List<Sample> prompts = SweepTestData.prompts(4, 96, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40);
        Plan plan;
        TestCallback last = TestCallback.read("last", Layers.of(2), Set.of(Hook.RESIDUAL_POST), b -> CallbackAction.nothing());
        try (Sweep sweep = Sweep.builder().model(model).dataset(Dataset.of(prompts)).deviceMemory(budget).callbacks(last)
                .build()) {
            plan = sweep.preflight();
        }
        assertTrue(plan.feasible(), plan.summary());
        assertTrue(plan.peakDeviceBytes() <= budget, "peak " + plan.peakDeviceBytes() + " > budget " + budget);
        assertTrue(plan.microbatchSamples() < prompts.size(), "the budget should force several microbatches: " + plan.summary());
    }
}
