package org.fpwap.model;

import java.util.OptionalInt;

/**
 * OLMo 2 ({@code model_type "olmo2"}, transformers 4.47 – 5.x): no norm before the sub-layers; an RMSNorm
 * on each sub-layer's output before the residual add ({@code post_attention_layernorm},
 * {@code post_feedforward_layernorm}), and RMSNorms over the whole projected query and key widths
 * ({@code q_norm} {@code [heads × head_dim]}, {@code k_norm} {@code [kv_heads × head_dim]}) before the
 * split into heads and RoPE. {@code rms_norm_eps} defaults to 1e-5.
 */
final class Olmo2Config {

    private Olmo2Config() {}

    static ModelSpec read(ConfigFields c) {
        DecoderConfig d = DecoderConfig.read(c, OptionalInt.empty(), 1e-5, 2048, false);
        boolean bias = c.optionalBoolean("attention_bias").orElse(false);
        c.rejectIfTrue("clip_qkv");
        Activation act = c.activation("hidden_act", "silu");
        RopeSpec rope = RopeConfig.read(c, d.headDim(), 10000.0);
        AttentionSpec.Standard attention = new AttentionSpec.Standard(d.heads(), d.kvHeads(), d.headDim(),
                AttentionSpec.QkvProjections.SEPARATE, bias, bias, QkNorm.PROJECTED, OptionalInt.empty(),
                java.util.Optional.of(rope), (float) (1.0 / Math.sqrt(d.headDim())), java.util.OptionalDouble.empty());
        MlpSpec.Dense mlp = d.gatedMlp(act);
        return d.spec(ModelFamily.OLMO2, NormKind.RMS, act, 1.0f,
                d.layerSpecs(i -> new LayerSpec(i, NormPlacement.POST, attention, mlp)));
    }
}
