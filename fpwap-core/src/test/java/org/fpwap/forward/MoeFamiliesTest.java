package org.fpwap.forward;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.safetensors.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Mixtral and Qwen2-MoE (router softmax, top-k, renormalisation as each family orders it, per-expert gathers,
 * Qwen2-MoE's sigmoid-gated shared expert and dense {@code mlp_only_layers}) against the independent FP64
 * {@link org.fpwap.oracle.MoeDecoderReference}: every hook of every layer, prompts of different lengths batched
 * together, both padding sides, F32 and BF16 weights. Generated models have 4 experts, top 2.
 */
class MoeFamiliesTest {

    private static final double TOLERANCE = 1e-5;

    @TempDir
    Path tmp;

    private static RandomModelConfig.Builder shape(ModelFamily family) {
        return RandomModelConfig.builder(family).layers(3).dims(48, 4, 2, 16).intermediate(80).vocab(96).seed(37);
    }

    private static List<int[]> prompts() {
        return Comparisons.prompts(96, 79, 1, 6, 19, 33);
    }

    @ParameterizedTest
    @EnumSource(value = ModelFamily.class, names = {"MIXTRAL", "QWEN2_MOE"})
    void everyHookOfEveryLayerMatchesTheFp64ReferenceWithF32Weights(ModelFamily family) {
        Path dir = tmp.resolve(family.modelType());
        RandomModelWriter.write(shape(family).build(), dir);
        double max = FamilyChecks.assertHooksMatchReference(dir, dir, prompts(), TOLERANCE, family.modelType() + " F32");
        System.out.println(family.modelType() + " F32 vs FP64 reference, all hooks: max rel err " + max);
    }

    @ParameterizedTest
    @EnumSource(value = ModelFamily.class, names = {"MIXTRAL", "QWEN2_MOE"})
    void everyHookMatchesTheReferenceWithBf16Weights(ModelFamily family) {
        Path bf16 = tmp.resolve(family.modelType() + "-bf16");
        RandomModelWriter.write(shape(family).dtype(DType.BF16).build(), bf16);
        Path widened = CheckpointCopies.rewrite(bf16, tmp.resolve(family.modelType() + "-widened"), CheckpointCopies::widenToF32);
        double max = FamilyChecks.assertHooksMatchReference(bf16, widened, prompts(), TOLERANCE, family.modelType() + " BF16");
        System.out.println(family.modelType() + " BF16 vs FP64 reference on its widening: max rel err " + max);
    }

    @Test
    void qwen2MoeWithoutRenormalisationAndWithSparseStepMatchesTheReference() {
        // norm_topk_prob false (HF's default) and decoder_sparse_step 2 (layer 1 sparse, layers 0 and 2 dense).
        Path dir = tmp.resolve("qwen2_moe-step");
        RandomModelWriter.write(shape(ModelFamily.QWEN2_MOE)
                .extraConfig("{\"norm_topk_prob\": false, \"decoder_sparse_step\": 2, \"mlp_only_layers\": []}").build(), dir);
        double max = FamilyChecks.assertHooksMatchReference(dir, dir, prompts(), TOLERANCE, "qwen2_moe step 2, no renorm");
        System.out.println("qwen2_moe (no renormalisation, sparse step 2): max rel err " + max);
    }

    @Test
    void theRenormalisationChangesTheResultFarBeyondTheTolerance() {
        // The same weights with norm_topk_prob flipped must be far from the reference: the check above would catch a
        // forward that ignored the key.
        Path dir = tmp.resolve("renorm");
        RandomModelWriter.write(shape(ModelFamily.QWEN2_MOE).build(), dir);
        Path flipped = tmp.resolve("no-renorm");
        RandomModelWriter.write(shape(ModelFamily.QWEN2_MOE).extraConfig("{\"norm_topk_prob\": false}").build(), flipped);
        double err = FamilyChecks.worstError(flipped, dir, prompts());
        assertTrue(err > 1000 * TOLERANCE, "renormalised reference vs an unrenormalised forward differs by only " + err);
    }

    @Test
    void aMixtralWithOneExpertEqualsItsDenseSibling() throws Exception {
        // A Llama model, and the same weights as a Mixtral with one expert (top-1: the weight renormalises to exactly
        // 1) whose expert is the Llama MLP: every hook must agree.
        Path llama = tmp.resolve("llama");
        RandomModelWriter.write(shape(ModelFamily.LLAMA).build(), llama);
        Path mixtral = CheckpointCopies.rewrite(llama, tmp.resolve("one-expert"), e -> {
            String n = e.name().replace("mlp.gate_proj", "block_sparse_moe.experts.0.w1")
                    .replace("mlp.up_proj", "block_sparse_moe.experts.0.w3")
                    .replace("mlp.down_proj", "block_sparse_moe.experts.0.w2");
            return new CheckpointCopies.Entry(n, e.dtype(), e.shape(), e.data());
        });
        addRouters(mixtral, 3, 48);
        String config = Files.readString(mixtral.resolve("config.json"), StandardCharsets.UTF_8)
                .replace("\"model_type\": \"llama\"", "\"model_type\": \"mixtral\", \"num_local_experts\": 1, \"num_experts_per_tok\": 1");
        Files.writeString(mixtral.resolve("config.json"), config, StandardCharsets.UTF_8);
        float[][][][][] dense = HookCapture.run(llama, prompts(), PaddingSide.RIGHT);
        float[][][][][] moe = HookCapture.run(mixtral, prompts(), PaddingSide.RIGHT);
        double max = 0;
        for (int s = 0; s < dense.length; s++) {
            for (int l = 0; l < dense[s].length; l++) {
                for (int h = 0; h < dense[s][l].length; h++) {
                    max = Math.max(max, Comparisons.relativeError(moe[s][l][h], toDouble(dense[s][l][h])));
                }
            }
        }
        assertTrue(max <= 1e-6, "one-expert Mixtral vs its dense sibling: max rel err " + max);
    }

    @Test
    void aTop1MixtralMatchesJlamaFedOneTokenAtATime() {
        // Jlama's Mixtral sums the chosen experts without their weights, which equals HF only for top-1 routing (the
        // renormalised weight is exactly 1), and must be fed one token at a time (FACTS.md). Widths are multiples of 16.
        Path dir = tmp.resolve("mixtral-jlama");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.MIXTRAL).layers(3).dims(64, 4, 2, 16).intermediate(96)
                .vocab(96).maxPositions(128).seed(53).extraConfig("{\"num_local_experts\": 4, \"num_experts_per_tok\": 1}")
                .build(), dir);
        List<int[]> prompts = Comparisons.prompts(96, 1234, 1, 5, 17, 40);
        double max = 0;
        for (PaddingSide side : PaddingSide.values()) {
            float[][][][][] ours = HookCapture.run(dir, prompts, side);
            try (org.fpwap.oracle.JlamaOracle oracle = org.fpwap.oracle.JlamaOracle.load(dir)) {
                for (int s = 0; s < prompts.size(); s++) {
                    float[][][] expected = oracle.hiddenStatesTokenByToken(prompts.get(s));
                    for (int layer = 0; layer < ours[s].length; layer++) {
                        double err = Comparisons.relativeError(ours[s][layer][Hook.RESIDUAL_POST.ordinal()],
                                toDouble(expected[layer + 1]));
                        max = Math.max(max, err);
                        assertTrue(err <= TOLERANCE, "mixtral vs Jlama (" + side + ") sample " + s + " layer " + layer + ": " + err);
                    }
                }
            }
        }
        System.out.println("mixtral top-1 vs Jlama token by token: max rel err " + max);
    }

    /** Rewrites the model once more, adding a random router {@code [1, H]} per layer (any value gives weight 1). */
    private static void addRouters(Path dir, int layers, int hidden) {
        Path tmpCopy = dir.resolveSibling(dir.getFileName() + "-routed");
        CheckpointCopies.rewrite(dir, tmpCopy, e -> e);
        {
            org.fpwap.safetensors.SafetensorsWriter writer = org.fpwap.safetensors.SafetensorsWriter.create(
                    dir.resolve("model.safetensors"));
            try (org.fpwap.safetensors.SafetensorsFile file = org.fpwap.safetensors.SafetensorsFile.open(
                    tmpCopy.resolve("model.safetensors"))) {
                for (var t : file.tensors()) {
                    writer.add(t.name(), t.dtype(), t.shape(), file.data(t).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
                }
            }
            for (int l = 0; l < layers; l++) {
                ByteBuffer b = ByteBuffer.allocate(4 * hidden).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < hidden; i++) {
                    b.putFloat(4 * i, (float) Math.sin(l * 31 + i));
                }
                writer.add("model.layers." + l + ".block_sparse_moe.gate.weight", DType.F32, new long[] {1, hidden}, b.array());
            }
            writer.write();
        }
    }

    private static double[][] toDouble(float[][] x) {
        double[][] out = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            out[i] = new double[x[i].length];
            for (int j = 0; j < x[i].length; j++) {
                out[i][j] = x[i][j];
            }
        }
        return out;
    }
}
