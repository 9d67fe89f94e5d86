package org.fpwap.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.fpwap.callback.CallbackAction;
import org.fpwap.callback.Layers;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.Sample;
import org.fpwap.forward.Hook;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.profile.LayerProfile;
import org.fpwap.profile.Profile;
import org.fpwap.safetensors.DType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The profile's byte counters (not timings) over 10 microbatches: weight I/O is {@code O(layers)}, not
 * {@code O(layers × microbatches)}, and the residual traffic is what the schedule implies. Expected values
 * come from the safetensors headers and the prompt lengths, never from the engine.
 */
class ByteCountersTest {

    private static final int H = 64;
    private static final int LAYERS = 4;
    private static final int DEEPEST = 2;

    @TempDir
    static Path tmp;

    static Path model;
    static List<Sample> data;
    static Profile profile;

    @BeforeAll
    static void runOnce() {
        model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(LAYERS).dtype(DType.BF16).build(), model);
        int[] lengths = new int[20];
        for (int i = 0; i < lengths.length; i++) {
            lengths[i] = 1 + (i * 7) % 13;
        }
        data = SweepTestData.prompts(4, 128, lengths);
        TestCallback sum = TestCallback.read("sum", Layers.of(0, DEEPEST), Set.of(Hook.MLP_OUT), b -> CallbackAction.nothing());
        try (Sweep sweep = Sweep.builder().model(model).dataset(Dataset.of(data)).microbatch(2).callbacks(sum).build()) {
            profile = sweep.run().profile();
        }
    }

    @Test
    void eachProcessedLayersWeightsAreReadExactlyOnceOverTenMicrobatches() {
        long expected = 0;
        for (int l = 0; l <= DEEPEST; l++) {
            expected += SweepTestData.layerBytes(model, l);
        }
        assertEquals(expected, profile.weightBytesRead());
    }

    @Test
    void eachLayerProfileCountsItsOwnLayersBytes() {
        assertEquals(List.of(0, 1, 2), profile.layers().stream().map(LayerProfile::layer).toList());
        for (LayerProfile l : profile.layers()) {
            assertEquals(SweepTestData.layerBytes(model, l.layer()), l.weightBytesRead(), "layer " + l.layer());
        }
    }

    /**
     * The embedding pass writes every real token once; each layer but the deepest writes its output back
     * (the deepest layer's output is only handed to callbacks, see {@code SweepRunner.runMicrobatch}). So
     * {@code written = (processed layers − 1) × tokens × H × 4 + tokens × H × 4}. Pads are never counted.
     */
    @Test
    void residualBytesWrittenAreTheEmbeddingPlusEveryLayerButTheDeepest() {
        long tokenBytes = SweepTestData.realTokens(data) * H * Float.BYTES;
        int processed = DEEPEST + 1;
        assertEquals((processed - 1) * tokenBytes + tokenBytes, profile.residualBytesWritten());
    }

    /** Every processed layer reads every real token's row once (pads are zero-filled, not read). */
    @Test
    void residualBytesReadAreOnePassPerProcessedLayer() {
        long tokenBytes = SweepTestData.realTokens(data) * H * Float.BYTES;
        assertEquals((DEEPEST + 1) * tokenBytes, profile.residualBytesRead());
    }

    @Test
    void theProfileCountsRealTokensOnly() {
        assertEquals(SweepTestData.realTokens(data), profile.tokens());
    }
}
