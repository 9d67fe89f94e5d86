package org.fpwap.model;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * DeepSeek-V2 ({@code model_type "deepseek_v2"}, as transformers 5.x's native {@code DeepseekV2*} classes compute
 * it): {@link AttentionSpec.Latent} attention with softmax scale {@code (qk_nope_head_dim + qk_rope_head_dim)^-0.5}
 * (no mscale adjustment; yarn's attention factor multiplies cos/sin only), RoPE over {@code qk_rope_head_dim} with
 * optional yarn scaling, dense MLP layers before {@code first_k_dense_replace} and MoE layers from it on:
 * {@code n_routed_experts} experts of width {@code moe_intermediate_size}, top {@code num_experts_per_tok} by
 * {@code topk_method} ({@code greedy} or {@code group_limited_greedy} with {@code n_group}/{@code topk_group}), the
 * weights never renormalised (5.x ignores {@code norm_topk_prob}) but multiplied by {@code routed_scaling_factor},
 * plus {@code n_shared_experts} shared experts fused into one MLP of width {@code moe_intermediate_size ×
 * n_shared_experts}. {@code moe_layer_freq} is ignored, as 5.x ignores it.
 */
final class DeepseekV2Config {

    private DeepseekV2Config() {}

    static ModelSpec read(ConfigFields c) {
        int qkRope = c.optionalInt("qk_rope_head_dim").orElse(64);
        DecoderConfig d = DecoderConfig.read(c, OptionalInt.empty(), 1e-6, 2048, false);
        if (d.kvHeads() != d.heads()) {
            throw c.error("num_key_value_heads (" + d.kvHeads() + ") must equal num_attention_heads (" + d.heads()
                    + ") for deepseek_v2: latent attention expands keys and values for every head");
        }
        c.rejectIfTrue("mlp_bias");
        Activation act = c.activation("hidden_act", "silu");
        OptionalInt qLora = c.present("q_lora_rank") ? c.optionalInt("q_lora_rank") : OptionalInt.of(1536);
        int nope = c.optionalInt("qk_nope_head_dim").orElse(128);
        RopeSpec rope = RopeConfig.read(c, qkRope, 10000.0);
        AttentionSpec.Latent attention = new AttentionSpec.Latent(d.heads(), qLora, c.optionalInt("kv_lora_rank").orElse(512),
                nope, qkRope, c.optionalInt("v_head_dim").orElse(128), c.optionalBoolean("attention_bias").orElse(false), 1e-6,
                rope, (float) (1.0 / Math.sqrt(nope + qkRope)));
        int firstMoe = c.optionalInt("first_k_dense_replace", 0).orElse(0);
        MlpSpec.Dense dense = d.gatedMlp(act);
        Optional<MlpSpec.Moe> moe = firstMoe >= d.layers() ? Optional.empty() : Optional.of(moe(c, act));
        return d.spec(ModelFamily.DEEPSEEK_V2, NormKind.RMS, act, 1.0f, d.layerSpecs(i ->
                new LayerSpec(i, NormPlacement.PRE, attention, i >= firstMoe ? moe.get() : dense)));
    }

    private static MlpSpec.Moe moe(ConfigFields c, Activation act) {
        int experts = c.optionalInt("n_routed_experts").orElse(64);
        int topK = c.optionalInt("num_experts_per_tok").orElseThrow(() -> c.error(
                "num_experts_per_tok is required: the model has mixture-of-experts layers (first_k_dense_replace < "
                        + "num_hidden_layers)"));
        String method = c.optionalString("topk_method").orElse("greedy");
        MlpSpec.Selection selection = switch (method) {
            case "greedy" -> new MlpSpec.Selection.Greedy();
            case "group_limited_greedy" -> new MlpSpec.Selection.GroupLimited(
                    c.optionalInt("n_group").orElseThrow(() -> c.error("n_group is required for topk_method group_limited_greedy")),
                    c.optionalInt("topk_group").orElseThrow(() -> c.error("topk_group is required for topk_method group_limited_greedy")));
            default -> throw c.error(c.path("topk_method") + " \"" + method
                    + "\" is not supported for deepseek_v2 (supported: greedy, group_limited_greedy)");
        };
        int inter = c.optionalInt("moe_intermediate_size").orElse(1407);
        OptionalInt shared = c.present("n_shared_experts") ? c.optionalInt("n_shared_experts") : OptionalInt.of(2);
        double scaling = c.optionalDouble("routed_scaling_factor").orElse(1.0);
        try {
            return new MlpSpec.Moe(experts, Qwen2MoeConfig.checkedTopK(c, topK, experts), inter, act,
                    new MlpSpec.Router(selection, false, scaling), MlpSpec.ExpertNaming.MLP_EXPERTS,
                    shared.isPresent() ? Optional.of(new MlpSpec.SharedExpert(inter * shared.getAsInt(), false)) : Optional.empty());
        } catch (IllegalArgumentException e) {
            throw c.error(e.getMessage());
        }
    }
}
