package org.fpwap.forward;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.safetensors.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Gemma 2 (sandwich norms, attention-logit soft-cap, {@code query_pre_attn_scalar}, sliding window on alternate
 * layers) and Gemma 3's text model (plus per-head q/k norms, local/global layers with their own RoPE, linear
 * scaling on global layers) against the independent FP64 {@link org.fpwap.oracle.HookReference}: every hook of
 * every layer, prompts of 1–33 tokens batched together (the generated models' window of 8 is shorter than most, so
 * the sliding layers matter), both padding sides, F32 and BF16 weights, configs in transformers 4.x and 5.x key
 * shapes. head_dim (16) differs from H/heads (12). Then each distinctive feature is switched off in the config alone
 * (the same weights) and the result must move far beyond the tolerance, so the checks above would catch a forward
 * that ignored it.
 */
class GemmaFamiliesTest {

    private static final double TOLERANCE = 1e-5;
    private static final double FAR = 1000 * TOLERANCE;

    @TempDir
    Path tmp;

    private static RandomModelConfig.Builder shape(ModelFamily family) {
        return RandomModelConfig.builder(family).layers(4).dims(48, 4, 2, 16).intermediate(80).vocab(96).seed(31);
    }

    private static List<int[]> prompts() {
        return Comparisons.prompts(96, 77, 1, 6, 19, 33);
    }

    private Path model(ModelFamily family) {
        Path dir = tmp.resolve(family.modelType());
        RandomModelWriter.write(shape(family).build(), dir);
        return dir;
    }

    @ParameterizedTest
    @EnumSource(value = ModelFamily.class, names = {"GEMMA2", "GEMMA3_TEXT"})
    void everyHookOfEveryLayerMatchesTheFp64ReferenceWithF32Weights(ModelFamily family) {
        Path dir = model(family);
        double max = FamilyChecks.assertHooksMatchReference(dir, dir, prompts(), TOLERANCE, family.modelType() + " F32");
        System.out.println(family.modelType() + " F32 vs FP64 reference, all hooks: max rel err " + max);
    }

    @ParameterizedTest
    @EnumSource(value = ModelFamily.class, names = {"GEMMA2", "GEMMA3_TEXT"})
    void everyHookMatchesTheReferenceWithBf16Weights(ModelFamily family) {
        Path bf16 = tmp.resolve(family.modelType() + "-bf16");
        RandomModelWriter.write(shape(family).dtype(DType.BF16).build(), bf16);
        Path widened = CheckpointCopies.rewrite(bf16, tmp.resolve(family.modelType() + "-widened"), CheckpointCopies::widenToF32);
        double max = FamilyChecks.assertHooksMatchReference(bf16, widened, prompts(), TOLERANCE, family.modelType() + " BF16");
        System.out.println(family.modelType() + " BF16 vs FP64 reference on its widening: max rel err " + max);
    }

    @Test
    void gemma2ConfigInTransformers5ShapeMatchesTheReference() {
        // layer_types overrides the even-layer default; rope_parameters replaces rope_theta.
        Path dir = ConfigVariants.withConfig(model(ModelFamily.GEMMA2), tmp.resolve("gemma2-5x"), Map.of(
                "layer_types", "[\"full_attention\", \"sliding_attention\", \"sliding_attention\", \"full_attention\"]",
                "rope_parameters", "{\"rope_type\": \"default\", \"rope_theta\": 5000.0}",
                "rope_theta", "null"));
        double max = FamilyChecks.assertHooksMatchReference(dir, dir, prompts(), TOLERANCE, "gemma2 5.x keys");
        System.out.println("gemma2 (5.x keys) vs FP64 reference: max rel err " + max);
    }

    @Test
    void gemma3ConfigInTransformers5ShapeMatchesTheReference() {
        Path dir = ConfigVariants.withConfig(model(ModelFamily.GEMMA3_TEXT), tmp.resolve("gemma3-5x"), Map.of(
                "layer_types", "[\"sliding_attention\", \"sliding_attention\", \"full_attention\", \"sliding_attention\"]",
                "rope_parameters", "{\"full_attention\": {\"rope_type\": \"linear\", \"factor\": 4.0, \"rope_theta\": 500000.0},"
                        + " \"sliding_attention\": {\"rope_type\": \"default\", \"rope_theta\": 20000.0}}",
                "rope_scaling", "null", "rope_theta", "null", "rope_local_base_freq", "null", "sliding_window_pattern", "null"));
        double max = FamilyChecks.assertHooksMatchReference(dir, dir, prompts(), TOLERANCE, "gemma3_text 5.x keys");
        System.out.println("gemma3_text (5.x keys) vs FP64 reference: max rel err " + max);
    }

    @Test
    void gemma2DefaultsOfAbsentKeysMatchTheReference() {
        // Absent keys take Gemma2Config's defaults: soft-cap 50, window 4096, query scalar 256.
        Path dir = ConfigVariants.withConfig(model(ModelFamily.GEMMA2), tmp.resolve("gemma2-defaults"), Map.of());
        removeKeys(dir, "attn_logit_softcapping", "sliding_window", "query_pre_attn_scalar");
        FamilyChecks.assertHooksMatchReference(dir, dir, prompts(), TOLERANCE, "gemma2 defaults");
    }

    private static void removeKeys(Path dir, String... keys) {
        try {
            Path file = dir.resolve("config.json");
            JsonObject config = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
            for (String k : keys) {
                config.remove(k);
            }
            Files.writeString(file, config.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void gemma2SoftCapWindowAndQueryScalarEachChangeTheResultFarBeyondTheTolerance() {
        Path base = ConfigVariants.withConfig(model(ModelFamily.GEMMA2), tmp.resolve("g2-base"),
                Map.of("attn_logit_softcapping", "1.0"));
        assertFeatureMatters(base, "g2-no-softcap", Map.of("attn_logit_softcapping", "null"), "gemma2 attn_logit_softcapping");
        assertFeatureMatters(base, "g2-no-window", Map.of("sliding_window", "null"), "gemma2 sliding window");
        assertFeatureMatters(base, "g2-scalar", Map.of("query_pre_attn_scalar", "16"), "gemma2 query_pre_attn_scalar");
        assertFeatureMatters(base, "g2-odd-layers-slide", Map.of("layer_types",
                "[\"full_attention\", \"sliding_attention\", \"full_attention\", \"sliding_attention\"]"), "gemma2 window layout");
    }

    @Test
    void gemma3QkNormLocalRopeGlobalScalingAndWindowEachChangeTheResultFarBeyondTheTolerance() {
        Path base = model(ModelFamily.GEMMA3_TEXT);
        assertFeatureMatters(base, "g3-local-base", Map.of("rope_local_base_freq", "1000000.0"), "gemma3 rope_local_base_freq");
        assertFeatureMatters(base, "g3-no-scaling", Map.of("rope_scaling", "null"), "gemma3 rope_scaling on global layers");
        assertFeatureMatters(base, "g3-no-window", Map.of("sliding_window", "null"), "gemma3 sliding window");
        assertFeatureMatters(base, "g3-pattern", Map.of("sliding_window_pattern", "3"), "gemma3 sliding_window_pattern");
        // Without q/k norms: the same weights read as Gemma 2 with Gemma 3's layout, one RoPE for all layers and no
        // soft-cap, against Gemma 3 with that same single RoPE, so only the q/k norms differ.
        Map<String, String> oneRope = Map.of("rope_local_base_freq", "1000000.0", "rope_scaling", "null",
                "layer_types", "[\"sliding_attention\", \"full_attention\", \"sliding_attention\", \"full_attention\"]");
        Path sameRope = ConfigVariants.withConfig(base, tmp.resolve("g3-one-rope"), oneRope);
        assertFeatureMatters(sameRope, "g3-as-gemma2", Map.of("model_type", "\"gemma2\"", "attn_logit_softcapping", "null"),
                "gemma3 q/k norms");
    }

    @Test
    void gemma3IgnoresAttnLogitSoftcappingAsHfDoes() {
        Path base = model(ModelFamily.GEMMA3_TEXT);
        Path capped = ConfigVariants.withConfig(base, tmp.resolve("g3-capped"), Map.of("attn_logit_softcapping", "1.0"));
        FamilyChecks.assertHooksMatchReference(capped, base, prompts(), TOLERANCE, "gemma3 with attn_logit_softcapping set");
    }

    /** Our forward of {@code base} with {@code change} applied is far from the reference of {@code base}. */
    private void assertFeatureMatters(Path base, String name, Map<String, String> change, String what) {
        Path variant = ConfigVariants.withConfig(base, tmp.resolve(name), change);
        double err = FamilyChecks.worstError(variant, base, prompts());
        System.out.println(what + ": switching it changes hooks by up to " + err);
        assertTrue(err > FAR, what + " changes the result by only " + err + " (needs > " + FAR + ")");
    }
}
