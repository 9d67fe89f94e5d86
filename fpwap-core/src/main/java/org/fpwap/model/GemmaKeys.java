package org.fpwap.model;

import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * The config keys Gemma 2 and Gemma 3 read the same way ({@code Gemma2Config} / {@code Gemma3TextConfig}):
 * shared dims with {@code num_key_value_heads} defaulting to 4 (not to the query heads) and {@code head_dim} to
 * 256, {@code hidden_activation}, {@code attention_bias}, {@code query_pre_attn_scalar}, {@code sliding_window}
 * (absent: 4096, null: no window), and the bidirectional mode we do not compute.
 */
final class GemmaKeys {

    /** HF's default {@code num_key_value_heads} for both configs. */
    private static final int DEFAULT_KV_HEADS = 4;

    private GemmaKeys() {}

    /** The shared decoder keys with Gemma's defaults ({@code head_dim} 256, eps 1e-6, tied embeddings, 4 KV heads). */
    static DecoderConfig decoder(ConfigFields c, int defaultMaxPositions) {
        DecoderConfig d = DecoderConfig.read(c, OptionalInt.of(256), 1e-6, defaultMaxPositions, true);
        if (c.has("num_key_value_heads")) {
            return d;
        }
        if (d.heads() % DEFAULT_KV_HEADS != 0) {
            throw c.error("num_key_value_heads is absent, so it defaults to " + DEFAULT_KV_HEADS + " as in HF's config class, "
                    + "but num_attention_heads (" + d.heads() + ") is not a multiple of it; set num_key_value_heads");
        }
        return new DecoderConfig(c, d.hidden(), d.layers(), d.heads(), DEFAULT_KV_HEADS, d.headDim(), d.intermediate(),
                d.vocab(), d.maxPositions(), d.eps(), d.tied());
    }

    /** {@code hidden_activation} (HF's Gemma 2/3 MLP reads only this key; {@code hidden_act} is ignored there). */
    static Activation activation(ConfigFields c) {
        return c.activation("hidden_activation", "gelu_pytorch_tanh");
    }

    /** The factor on {@code q·k}: {@code query_pre_attn_scalar^-0.5} (default 256), rounded to FP32 as torch uses it. */
    static float attentionScale(ConfigFields c) {
        double scalar = c.has("query_pre_attn_scalar") ? c.positive("query_pre_attn_scalar") : 256.0;
        return (float) Math.pow(scalar, -0.5);
    }

    /** The window of sliding layers: 4096 when the key is absent (HF default), none when it is null. */
    static OptionalInt slidingWindow(ConfigFields c) {
        return c.present("sliding_window") ? c.optionalInt("sliding_window") : OptionalInt.of(4096);
    }

    /** Fails on settings that change the math and that we do not compute. */
    static void rejectUnsupported(ConfigFields c) {
        if (c.optionalBoolean("use_bidirectional_attention").orElse(false)) {
            throw c.error("use_bidirectional_attention=true (non-causal attention, used by embedding models) is not supported; "
                    + "fpwap computes causal decoders only");
        }
        // Checked for its type only: it caps the output logits, which no hook reaches.
        c.optionalDouble("final_logit_softcapping");
    }

    /** One layer of a Gemma 2/3 model: sandwich norms around standard attention with these settings and {@code mlp}. */
    static LayerSpec layer(int index, DecoderConfig d, boolean bias, QkNorm qkNorm, OptionalInt window, RopeSpec rope,
            float scale, OptionalDouble softcap, MlpSpec.Dense mlp) {
        AttentionSpec.Standard attention = new AttentionSpec.Standard(d.heads(), d.kvHeads(), d.headDim(),
                AttentionSpec.QkvProjections.SEPARATE, bias, bias, qkNorm, window, Optional.of(rope), scale, softcap);
        return new LayerSpec(index, NormPlacement.SANDWICH, attention, mlp);
    }

    /** Whether layer {@code i} slides, from the explicit {@code layer_types} or the family's pattern. */
    static boolean sliding(List<LayerTypes.Kind> kinds, int i) {
        return kinds.get(i) == LayerTypes.Kind.SLIDING;
    }

    /** The model spec for Gemma's embedding scale {@code √H} in FP32 (HF: {@code torch.tensor(H**0.5)} in FP32). */
    static ModelSpec spec(DecoderConfig d, ModelFamily family, Activation act, List<LayerSpec> layers) {
        return d.spec(family, NormKind.RMS_ONE_PLUS_WEIGHT, act, (float) Math.sqrt(d.hidden()), layers);
    }
}
