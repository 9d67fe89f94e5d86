package org.fpwap.model;

import java.util.HashSet;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Qwen2-MoE ({@code model_type "qwen2_moe"}, transformers 4.40 – 5.x): Qwen2's attention (q/k/v biases per
 * {@code qkv_bias}, default true) and sparse MoE layers of {@code num_experts} gated experts of width
 * {@code moe_intermediate_size} plus a shared expert of width {@code shared_expert_intermediate_size} whose output is
 * multiplied by {@code sigmoid(shared_expert_gate · x)}. The router takes the softmax in FP32, keeps the
 * {@code num_experts_per_tok} largest and renormalises them only when {@code norm_topk_prob}. Layer {@code i} is sparse
 * unless it is in {@code mlp_only_layers} or {@code (i + 1) % decoder_sparse_step != 0}; dense layers are a gated
 * MLP of width {@code intermediate_size}.
 */
final class Qwen2MoeConfig {

    private Qwen2MoeConfig() {}

    static ModelSpec read(ConfigFields c) {
        DecoderConfig d = DecoderConfig.read(c, OptionalInt.empty(), 1e-6, 32768, false);
        Activation act = c.activation("hidden_act", "silu");
        if (c.optionalBoolean("use_sliding_window").orElse(false)) {
            throw c.error("use_sliding_window=true is not supported for qwen2_moe (its per-layer window schedule is not "
                    + "implemented); set it to false or use another model");
        }
        boolean qkvBias = c.optionalBoolean("qkv_bias").orElse(true);
        RopeSpec rope = RopeConfig.read(c, d.headDim(), 10000.0);
        int experts = c.optionalInt("num_experts", 0).orElse(60);
        int topK = c.optionalInt("num_experts_per_tok").orElse(4);
        int step = c.optionalInt("decoder_sparse_step").orElse(1);
        Set<Integer> mlpOnly = mlpOnlyLayers(c, d.layers());
        MlpSpec.Dense dense = d.gatedMlp(act);
        Optional<MlpSpec.Moe> moe = experts == 0 ? Optional.empty() : Optional.of(new MlpSpec.Moe(experts,
                checkedTopK(c, topK, experts), c.optionalInt("moe_intermediate_size").orElse(1408), act,
                new MlpSpec.Router(new MlpSpec.Selection.Greedy(), c.optionalBoolean("norm_topk_prob").orElse(false), 1.0),
                MlpSpec.ExpertNaming.MLP_EXPERTS,
                Optional.of(new MlpSpec.SharedExpert(c.optionalInt("shared_expert_intermediate_size").orElse(5632), true))));
        AttentionSpec.Standard base = d.attention(rope, OptionalInt.empty());
        AttentionSpec.Standard attention = new AttentionSpec.Standard(base.numHeads(), base.numKvHeads(), base.headDim(),
                base.projections(), qkvBias, false, QkNorm.NONE, OptionalInt.empty(), base.rope(), base.scale(), base.softcap());
        return d.spec(ModelFamily.QWEN2_MOE, NormKind.RMS, act, 1.0f, d.layerSpecs(i -> {
            boolean sparse = moe.isPresent() && !mlpOnly.contains(i) && (i + 1) % step == 0;
            return new LayerSpec(i, NormPlacement.PRE, attention, sparse ? moe.get() : dense);
        }));
    }

    static int checkedTopK(ConfigFields c, int topK, int experts) {
        if (topK > experts) {
            throw c.error("num_experts_per_tok (" + topK + ") exceeds the number of routed experts (" + experts + ")");
        }
        return topK;
    }

    private static Set<Integer> mlpOnlyLayers(ConfigFields c, int layers) {
        Set<Integer> out = new HashSet<>();
        var raw = c.raw("mlp_only_layers");
        if (raw == null) {
            return out;
        }
        if (!raw.isJsonArray()) {
            throw c.error(c.path("mlp_only_layers") + " must be a list of layer indices, got " + raw);
        }
        for (var e : raw.getAsJsonArray()) {
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber() || e.getAsDouble() != Math.rint(e.getAsDouble())
                    || e.getAsInt() < 0 || e.getAsInt() >= layers) {
                throw c.error(c.path("mlp_only_layers") + " holds " + e + "; expected layer indices 0.." + (layers - 1));
            }
            out.add(e.getAsInt());
        }
        return out;
    }
}
