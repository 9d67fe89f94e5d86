package org.fpwap.model;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * Mixtral ({@code model_type "mixtral"}, transformers 4.36 – 5.x): Mistral's attention (optional
 * {@code sliding_window}, default none) and on every layer a sparse MoE of {@code num_local_experts} gated experts
 * ({@code w1} gate, {@code w3} up, {@code w2} down, width {@code intermediate_size}). The router takes the softmax over
 * all experts in FP32, keeps the {@code num_experts_per_tok} largest and always renormalises them to sum to one.
 * {@code router_jitter_noise} only acts in training.
 */
final class MixtralConfig {

    private MixtralConfig() {}

    static ModelSpec read(ConfigFields c) {
        DecoderConfig d = DecoderConfig.read(c, OptionalInt.empty(), 1e-5, 4096 * 32, false);
        Activation act = c.activation("hidden_act", "silu");
        RopeSpec rope = RopeConfig.read(c, d.headDim(), 1e6);
        OptionalInt window = c.optionalInt("sliding_window");
        int experts = c.optionalInt("num_local_experts").orElse(8);
        int topK = c.optionalInt("num_experts_per_tok").orElse(2);
        if (topK > experts) {
            throw c.error("num_experts_per_tok (" + topK + ") exceeds num_local_experts (" + experts + ")");
        }
        MlpSpec.Moe moe = new MlpSpec.Moe(experts, topK, d.intermediate(), act,
                new MlpSpec.Router(new MlpSpec.Selection.Greedy(), true, 1.0), MlpSpec.ExpertNaming.MIXTRAL, Optional.empty());
        AttentionSpec.Standard attention = d.attention(rope, window);
        return d.spec(ModelFamily.MIXTRAL, NormKind.RMS, act, 1.0f,
                d.layerSpecs(i -> new LayerSpec(i, NormPlacement.PRE, attention, moe)));
    }
}
