package org.fpwap.model;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.stream.IntStream;

/**
 * Gemma 3's text model ({@code model_type "gemma3_text"}, transformers 4.50 – 5.x): Gemma 2's sandwich-norm block
 * plus (1+w) RMSNorms over each head's {@code head_dim} on queries and keys before RoPE ({@code q_norm},
 * {@code k_norm}); local (sliding) and global layers from {@code layer_types}, else every
 * {@code sliding_window_pattern}-th layer (default 6) global; local layers rotate with base
 * {@code rope_local_base_freq} (default 10,000) and no scaling, global ones with {@code rope_theta} (default 10⁶)
 * and {@code rope_scaling}; transformers 5.x writes both as {@code rope_parameters} keyed by layer type. HF's
 * Gemma 3 attention never applies {@code attn_logit_softcapping} (the key is accepted and has no effect). The
 * multimodal {@code "gemma3"} config is read through its {@code text_config} ({@link #readMultimodal}).
 */
final class Gemma3Config {

    /** The {@code model_type} of the multimodal wrapper whose {@code text_config} is a Gemma 3 text model. */
    static final String MULTIMODAL_MODEL_TYPE = "gemma3";

    private static final double GLOBAL_THETA = 1_000_000.0;
    private static final double LOCAL_THETA = 10_000.0;

    private Gemma3Config() {}

    static ModelSpec read(ConfigFields c) {
        GemmaKeys.rejectUnsupported(c);
        DecoderConfig d = GemmaKeys.decoder(c, 131_072);
        boolean bias = c.optionalBoolean("attention_bias").orElse(false);
        Activation act = GemmaKeys.activation(c);
        float scale = GemmaKeys.attentionScale(c);
        c.optionalDouble("attn_logit_softcapping"); // type-checked only: Gemma3Attention never passes it on
        OptionalInt window = GemmaKeys.slidingWindow(c);
        List<LayerTypes.Kind> kinds = layerKinds(c, d.layers());
        RopeSpec global = globalRope(c, d.headDim());
        RopeSpec local = localRope(c, d.headDim());
        MlpSpec.Dense mlp = d.gatedMlp(act);
        return GemmaKeys.spec(d, ModelFamily.GEMMA3_TEXT, act, d.layerSpecs(i -> {
            boolean sliding = GemmaKeys.sliding(kinds, i);
            return GemmaKeys.layer(i, d, bias, QkNorm.PER_HEAD, sliding ? window : OptionalInt.empty(),
                    sliding ? local : global, scale, OptionalDouble.empty(), mlp);
        }));
    }

    /**
     * The text model of a multimodal {@code "gemma3"} config ({@code Gemma3ForConditionalGeneration}): its
     * {@code text_config}, read as a {@code gemma3_text} config (absent keys take {@code Gemma3TextConfig}'s
     * defaults, as HF builds the sub-config). On text-only prompts HF's multimodal forward is the text model's, so the
     * vision tower and projector are never read; {@link TensorNames#resolve} finds the text model's prefix.
     */
    static ModelSpec readMultimodal(ConfigFields c) {
        ConfigFields text = c.object("text_config").orElseThrow(() -> c.error(
                "model_type \"gemma3\" (multimodal Gemma 3) needs a text_config object describing its language model"));
        String textType = text.optionalString("model_type").orElse("gemma3_text");
        if (!textType.equals("gemma3_text")) {
            throw text.error(text.path("model_type") + " \"" + textType + "\" is not supported inside a gemma3 config "
                    + "(expected \"gemma3_text\")");
        }
        return read(text.withDefaults(textDimensionDefaults()));
    }

    /**
     * {@code Gemma3TextConfig}'s defaults for the dimensions, which a multimodal {@code text_config} may leave out
     * (HF fills them from the class); the other keys' defaults live in {@link #read}.
     */
    private static JsonObject textDimensionDefaults() {
        return JsonParser.parseString("""
                {"vocab_size": 262208, "hidden_size": 2304, "intermediate_size": 9216, "num_hidden_layers": 26,
                 "num_attention_heads": 8}""").getAsJsonObject();
    }

    /** {@code layer_types}, else layer {@code i} is global when {@code (i + 1) % sliding_window_pattern == 0}. */
    private static List<LayerTypes.Kind> layerKinds(ConfigFields c, int layers) {
        return LayerTypes.read(c, layers).orElseGet(() -> {
            int pattern = c.optionalInt("sliding_window_pattern").orElse(6);
            return IntStream.range(0, layers)
                    .mapToObj(i -> (i + 1) % pattern != 0 ? LayerTypes.Kind.SLIDING : LayerTypes.Kind.FULL).toList();
        });
    }

    /** The per-layer-type {@code rope_parameters} of a 5.x config, if it has them. */
    private static Optional<ConfigFields> ropeParameters(ConfigFields c) {
        Optional<ConfigFields> p = c.object("rope_parameters");
        if (p.isPresent() && !p.get().present("full_attention") && !p.get().present("sliding_attention")) {
            throw c.error("rope_parameters must be keyed by layer type for gemma3_text ({\"full_attention\": {...}, "
                    + "\"sliding_attention\": {...}}), as transformers 5.x writes it; a single object is read differently "
                    + "by different transformers versions, so write it per layer type");
        }
        return p;
    }

    /** Global layers: {@code rope_theta} (default 10⁶) with {@code rope_scaling}, or 5.x's {@code full_attention} entry. */
    private static RopeSpec globalRope(ConfigFields c, int dim) {
        Optional<ConfigFields> p = ropeParameters(c);
        double topTheta = c.optionalDouble("rope_theta").orElse(GLOBAL_THETA);
        if (p.isPresent()) {
            return p.get().object("full_attention")
                    .map(f -> new RopeSpec(f.optionalDouble("rope_theta").orElse(topTheta), dim, RopeConfig.scaling(f)))
                    .orElse(new RopeSpec(topTheta, dim, new RopeScaling.None()));
        }
        RopeScaling scaling = c.object("rope_scaling").map(RopeConfig::scaling).orElse(new RopeScaling.None());
        return new RopeSpec(topTheta, dim, scaling);
    }

    /** Local layers: {@code rope_local_base_freq} (default 10⁴) unscaled, or 5.x's {@code sliding_attention} entry. */
    private static RopeSpec localRope(ConfigFields c, int dim) {
        double localTheta = c.optionalDouble("rope_local_base_freq").orElse(LOCAL_THETA);
        return ropeParameters(c).flatMap(p -> p.object("sliding_attention"))
                .map(s -> new RopeSpec(s.optionalDouble("rope_theta").orElse(localTheta), dim, RopeConfig.scaling(s)))
                .orElse(new RopeSpec(localTheta, dim, new RopeScaling.None()));
    }
}
