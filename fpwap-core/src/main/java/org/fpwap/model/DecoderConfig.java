package org.fpwap.model;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.IntFunction;

/**
 * The keys every Llama-descended decoder config shares ({@code hidden_size}, {@code num_hidden_layers},
 * heads, {@code head_dim}, {@code intermediate_size}, {@code vocab_size}, positions, {@code rms_norm_eps},
 * {@code tie_word_embeddings}), read once so each family reader adds only what is its own.
 *
 * @param json the config, for the family's own keys
 * @param hidden H
 * @param layers blocks
 * @param heads query heads
 * @param kvHeads key/value heads
 * @param headDim per-head width
 * @param intermediate MLP width
 * @param vocab vocabulary rows
 * @param maxPositions position limit
 * @param eps norm epsilon
 * @param tied whether the output head shares the embedding
 */
public record DecoderConfig(
        ConfigFields json,
        int hidden,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int intermediate,
        int vocab,
        int maxPositions,
        double eps,
        boolean tied) {

    public DecoderConfig {
        requireNonNull(json, "json is null");
    }

    /**
     * Reads the shared keys with the family's defaults.
     *
     * @param defaultHeadDim {@code head_dim} when absent (HF: H / heads for most, a constant for some)
     * @param defaultEps {@code rms_norm_eps} when absent
     * @param defaultMaxPositions {@code max_position_embeddings} when absent
     * @param defaultTied {@code tie_word_embeddings} when absent
     */
    public static DecoderConfig read(ConfigFields c, OptionalInt defaultHeadDim, double defaultEps, int defaultMaxPositions,
            boolean defaultTied) {
        int hidden = c.requiredInt("hidden_size");
        int heads = c.requiredInt("num_attention_heads");
        int kvHeads = c.optionalInt("num_key_value_heads").orElse(heads);
        if (heads % kvHeads != 0) {
            throw c.error("num_attention_heads (" + heads + ") must be a positive multiple of num_key_value_heads (" + kvHeads
                    + ")");
        }
        int headDim = c.optionalInt("head_dim").orElseGet(() -> defaultHeadDim.orElseGet(() -> {
            if (hidden % heads != 0) {
                throw c.error("hidden_size (" + hidden + ") is not a multiple of num_attention_heads (" + heads
                        + ") and head_dim is not given");
            }
            return hidden / heads;
        }));
        return new DecoderConfig(c, hidden, c.requiredInt("num_hidden_layers"), heads, kvHeads, headDim,
                c.requiredInt("intermediate_size"), c.requiredInt("vocab_size"),
                c.optionalInt("max_position_embeddings").orElse(defaultMaxPositions),
                c.optionalDouble("rms_norm_eps").orElse(defaultEps),
                c.optionalBoolean("tie_word_embeddings").orElse(defaultTied));
    }

    /** Standard attention over these dims with no biases, no q/k norm and the default scale {@code 1/√head_dim}. */
    public AttentionSpec.Standard attention(RopeSpec rope, OptionalInt window) {
        return new AttentionSpec.Standard(heads, kvHeads, headDim, AttentionSpec.QkvProjections.SEPARATE, false, false,
                QkNorm.NONE, window, java.util.Optional.of(rope), (float) (1.0 / Math.sqrt(headDim)),
                java.util.OptionalDouble.empty());
    }

    /** A gated dense MLP of {@code intermediate} width with separate projections and no biases. */
    public MlpSpec.Dense gatedMlp(Activation activation) {
        return new MlpSpec.Dense(intermediate, activation, true, false, MlpSpec.MlpStorage.SEPARATE);
    }

    /** One layer spec per block. */
    public List<LayerSpec> layerSpecs(IntFunction<LayerSpec> perLayer) {
        List<LayerSpec> out = new ArrayList<>(layers);
        for (int i = 0; i < layers; i++) {
            out.add(perLayer.apply(i));
        }
        return out;
    }

    /**
     * The model spec: the model-wide fields from these dims and the given norm/embedding choices, layer 0's
     * attention and MLP for the model-wide summary fields, and {@code layerSpecs} driving the forward.
     */
    public ModelSpec spec(ModelFamily family, NormKind norm, Activation activation, float embeddingScale,
            List<LayerSpec> layerSpecs) {
        LayerSpec first = layerSpecs.get(0);
        AttentionSpec a = first.attention();
        boolean qkvBias = a instanceof AttentionSpec.Standard s && s.qkvBias();
        boolean outBias = a instanceof AttentionSpec.Standard s && s.outputBias();
        boolean mlpBias = first.mlp() instanceof MlpSpec.Dense d && d.bias();
        float scale = a instanceof AttentionSpec.Standard s ? s.scale() : (float) (1.0 / Math.sqrt(headDim));
        return new ModelSpec(family, hidden, layers, heads, kvHeads, headDim, intermediate, vocab, maxPositions, norm, eps,
                activation, true, a.rope(), qkvBias, outBias, mlpBias, a.slidingWindow(), embeddingScale, scale, tied,
                layerSpecs);
    }
}
