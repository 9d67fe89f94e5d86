package org.fpwap.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.fpwap.model.ModelConfigReader;
import org.fpwap.model.ModelFamily;
import org.fpwap.model.ModelSpec;
import org.fpwap.model.RopeScaling;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.safetensors.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Phi-3 against the independent FP64 {@link org.fpwap.oracle.HookReference}: fused {@code qkv_proj} and
 * {@code gate_up_proj}, half of each head rotating, {@code longrope} with distinct short and long factors (the
 * generated model switches at 16 positions, so the batch mixes short and long prompts) and a 16-token sliding
 * window (prompts of 19 and 33 tokens cross it). Every hook, batched, both padding sides, F32 and BF16.
 */
class Phi3Test {

    private static final double TOLERANCE = 1e-5;

    @TempDir
    Path tmp;

    private static RandomModelConfig.Builder shape() {
        return RandomModelConfig.builder(ModelFamily.PHI3).layers(3).dims(64, 4, 2, 16).intermediate(96).vocab(96).seed(5);
    }

    private static List<int[]> prompts() {
        return Comparisons.prompts(96, 21, 1, 6, 19, 33);
    }

    @Test
    void theGeneratedModelUsesEveryPhi3Feature() {
        ModelSpec spec = RandomModelWriter.write(shape().build(), tmp.resolve("m"));
        var rope = spec.layer(0).attention().rope().orElseThrow();
        assertEquals(8, rope.rotaryDim(), "half of head_dim 16 rotates");
        assertTrue(rope.scaling() instanceof RopeScaling.LongRope l && l.originalMaxPositions() == 16, rope.toString());
        assertEquals(16, spec.layer(0).attention().slidingWindow().orElseThrow());
    }

    @ParameterizedTest
    @ValueSource(strings = {"F32", "BF16"})
    void everyHookOfEveryLayerMatchesTheFp64Reference(String dtype) {
        Path dir = tmp.resolve("phi3-" + dtype);
        RandomModelWriter.write(shape().dtype(DType.valueOf(dtype)).build(), dir);
        Path reference = dtype.equals("F32") ? dir
                : CheckpointCopies.rewrite(dir, tmp.resolve("phi3-widened"), CheckpointCopies::widenToF32);
        double max = FamilyChecks.assertHooksMatchReference(dir, reference, prompts(), TOLERANCE, "phi3 " + dtype);
        System.out.println("phi3 " + dtype + " vs FP64 reference, all hooks: max rel err " + max);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"rope_scaling\": null}",
        "{\"partial_rotary_factor\": 1.0, \"rope_scaling\": null}",
        "{\"sliding_window\": null}"})
    void eachDistinctiveFeatureChangesTheResultFarBeyondTheTolerance(String without) {
        // The same weights with one feature switched off must be far from the reference of the full model: the
        // check above would catch a forward that ignored longrope, partial rotary or the window.
        Path full = tmp.resolve("full");
        RandomModelWriter.write(shape().build(), full);
        Path reduced = tmp.resolve("reduced");
        RandomModelWriter.write(shape().extraConfig(without).build(), reduced);
        double err = FamilyChecks.worstError(reduced, full, prompts());
        assertTrue(err > 100 * TOLERANCE, "without " + without + " the result moves by only " + err);
    }

    @Test
    void transformers5RopeParametersReadTheSameAsTransformers4Keys() {
        String factors = "\"short_factor\": [1.0, 1.1, 1.2, 1.3], \"long_factor\": [2.0, 2.5, 3.0, 3.5]";
        String common = "\"model_type\": \"phi3\", \"hidden_size\": 64, \"num_hidden_layers\": 1, \"num_attention_heads\": 4,"
                + " \"intermediate_size\": 96, \"vocab_size\": 96, \"max_position_embeddings\": 256, ";
        ModelSpec v4 = ModelConfigReader.parse(Path.of("v4.json"), "{" + common + "\"rope_theta\": 5000.0,"
                + " \"partial_rotary_factor\": 0.5, \"original_max_position_embeddings\": 16,"
                + " \"rope_scaling\": {\"type\": \"longrope\", " + factors + "}}");
        ModelSpec v5 = ModelConfigReader.parse(Path.of("v5.json"), "{" + common + "\"rope_parameters\": {\"rope_type\": \"longrope\","
                + " \"rope_theta\": 5000.0, \"partial_rotary_factor\": 0.5, \"original_max_position_embeddings\": 16, " + factors + "}}");
        assertEquals(v4.layer(0).attention().rope(), v5.layer(0).attention().rope());
        RopeScaling.LongRope l = (RopeScaling.LongRope) v4.layer(0).attention().rope().orElseThrow().scaling();
        assertEquals(Math.sqrt(1 + Math.log(16.0) / Math.log(16.0)), l.attentionFactor(), 1e-15,
                "factor = 256 / 16, attention factor sqrt(1 + ln 16 / ln 16)");
    }
}
