package org.fpwap.model;

import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.stream.IntStream;

/**
 * Gemma 2 ({@code model_type "gemma2"}, transformers 4.42 – 5.x): Gemma's block ((1+w) RMSNorm, √H embedding
 * scale, tanh-GELU, explicit {@code head_dim}) with sandwich norms ({@code input_layernorm},
 * {@code post_attention_layernorm}, {@code pre_feedforward_layernorm}, {@code post_feedforward_layernorm}),
 * attention scores scaled by {@code query_pre_attn_scalar^-0.5} and soft-capped by
 * {@code attn_logit_softcapping} (absent: 50, null: off), and a sliding window on the layers
 * {@code layer_types} names, else on the even layers 0, 2, … (HF 4.42 – 4.52: {@code not layer_idx % 2};
 * 5.x: the default {@code layer_types}). {@code final_logit_softcapping} acts on logits only and is accepted.
 */
final class Gemma2Config {

    private Gemma2Config() {}

    static ModelSpec read(ConfigFields c) {
        GemmaKeys.rejectUnsupported(c);
        DecoderConfig d = GemmaKeys.decoder(c, 8192);
        boolean bias = c.optionalBoolean("attention_bias").orElse(false);
        Activation act = GemmaKeys.activation(c);
        float scale = GemmaKeys.attentionScale(c);
        OptionalDouble softcap = softcap(c);
        OptionalInt window = GemmaKeys.slidingWindow(c);
        RopeSpec rope = RopeConfig.read(c, d.headDim(), 10000.0);
        List<LayerTypes.Kind> kinds = LayerTypes.read(c, d.layers()).orElseGet(() -> IntStream.range(0, d.layers())
                .mapToObj(i -> i % 2 == 0 ? LayerTypes.Kind.SLIDING : LayerTypes.Kind.FULL).toList());
        MlpSpec.Dense mlp = d.gatedMlp(act);
        return GemmaKeys.spec(d, ModelFamily.GEMMA2, act, d.layerSpecs(i -> GemmaKeys.layer(i, d, bias, QkNorm.NONE,
                GemmaKeys.sliding(kinds, i) ? window : OptionalInt.empty(), rope, scale, softcap, mlp)));
    }

    /** {@code attn_logit_softcapping}: 50.0 when the key is absent (HF default), off when null. */
    private static OptionalDouble softcap(ConfigFields c) {
        if (!c.present("attn_logit_softcapping")) {
            return OptionalDouble.of(50.0);
        }
        return c.has("attn_logit_softcapping") ? OptionalDouble.of(c.positive("attn_logit_softcapping")) : OptionalDouble.empty();
    }
}
