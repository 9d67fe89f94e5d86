package org.fpwap.forward;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.safetensors.DType;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Qwen3 (per-head q/k RMSNorm before RoPE) and OLMo 2 (post-norms on the sub-layer outputs, q/k RMSNorm over
 * the projected widths), plus Llama as the harness's control, against the independent FP64
 * {@link org.fpwap.oracle.HookReference}: every hook of every layer, prompts of different lengths batched
 * together, both padding sides, F32 and BF16 weights (the BF16 model against the reference run on its exact
 * FP32 widening). head_dim differs from H/heads so an implicit H/heads would fail.
 */
class NormVariantFamiliesTest {

    private static final double TOLERANCE = 1e-5;

    @TempDir
    Path tmp;

    private static RandomModelConfig.Builder shape(ModelFamily family) {
        return RandomModelConfig.builder(family).layers(3).dims(48, 4, 2, 16).intermediate(80).vocab(96).seed(31);
    }

    private static List<int[]> prompts() {
        return Comparisons.prompts(96, 77, 1, 6, 19, 33);
    }

    @ParameterizedTest
    @EnumSource(value = ModelFamily.class, names = {"LLAMA", "QWEN3", "OLMO2"})
    void everyHookOfEveryLayerMatchesTheFp64ReferenceWithF32Weights(ModelFamily family) {
        Path dir = tmp.resolve(family.modelType());
        RandomModelWriter.write(shape(family).build(), dir);
        double max = FamilyChecks.assertHooksMatchReference(dir, dir, prompts(), TOLERANCE, family.modelType() + " F32");
        System.out.println(family.modelType() + " F32 vs FP64 reference, all hooks: max rel err " + max);
    }

    @ParameterizedTest
    @EnumSource(value = ModelFamily.class, names = {"QWEN3", "OLMO2"})
    void everyHookMatchesTheReferenceWithBf16Weights(ModelFamily family) {
        Path bf16 = tmp.resolve(family.modelType() + "-bf16");
        RandomModelWriter.write(shape(family).dtype(DType.BF16).build(), bf16);
        Path widened = CheckpointCopies.rewrite(bf16, tmp.resolve(family.modelType() + "-widened"), CheckpointCopies::widenToF32);
        double max = FamilyChecks.assertHooksMatchReference(bf16, widened, prompts(), TOLERANCE, family.modelType() + " BF16");
        System.out.println(family.modelType() + " BF16 vs FP64 reference on its widening: max rel err " + max);
    }

    @ParameterizedTest
    @EnumSource(value = ModelFamily.class, names = {"QWEN3", "OLMO2"})
    void theFamilysOwnNormsChangeTheResultFarBeyondTheTolerance(ModelFamily family) {
        // The same weights read as plain Llama (its q/k norms dropped, its post-norms read as pre-norms) must
        // be far from the family's reference: the check above would catch a forward that skipped the family's
        // distinctive norms.
        Path dir = tmp.resolve(family.modelType());
        RandomModelWriter.write(shape(family).build(), dir);
        Path asLlama = tmp.resolve(family.modelType() + "-as-llama");
        RandomModelWriter.write(shape(ModelFamily.LLAMA).build(), asLlama);
        double err = FamilyChecks.worstError(asLlama, dir, prompts());
        assertTrue(err > 1000 * TOLERANCE, family.modelType() + " reference vs a Llama forward differs by only " + err);
    }
}
