package org.fpwap.model;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Everything about a model's architecture that the forward pass needs, read once from
 * {@code config.json}. Immutable; families differ only through these fields.
 *
 * @param family the family
 * @param hiddenSize H, the residual stream width
 * @param numLayers number of transformer blocks
 * @param numHeads query heads
 * @param numKvHeads key/value heads (GQA when fewer than {@code numHeads})
 * @param headDim width of each head (not always {@code H / numHeads})
 * @param intermediateSize MLP width
 * @param vocabSize rows of the token embedding
 * @param maxPositions the longest prompt we accept ({@code max_position_embeddings} / {@code n_positions})
 * @param norm the normalisation kind
 * @param normEps the normalisation epsilon
 * @param activation the MLP non-linearity
 * @param gatedMlp {@code down(act(gate x) * up x)} when true, {@code proj(act(fc x))} when false
 * @param rope rotary embeddings, absent for learned absolute positions (GPT-2)
 * @param qkvBias whether q/k/v projections have a bias
 * @param outputBias whether the attention output projection has a bias
 * @param mlpBias whether the MLP projections have biases
 * @param slidingWindow keys farther back than this many positions are masked (Mistral), if set
 * @param embeddingScale the factor the token embeddings are multiplied by (Gemma: √H rounded to FP32)
 * @param attentionScale the factor on {@code q·k} before the softmax
 * @param tiedEmbeddings whether {@code lm_head} shares the token embedding
 * @param layers each block's composition (norm placement, attention op, MLP op), one per layer; the
 *     model-wide fields above describe the common case and the embedding/final norm, these drive the forward
 */
public record ModelSpec(
        ModelFamily family,
        int hiddenSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int intermediateSize,
        int vocabSize,
        int maxPositions,
        NormKind norm,
        double normEps,
        Activation activation,
        boolean gatedMlp,
        Optional<RopeSpec> rope,
        boolean qkvBias,
        boolean outputBias,
        boolean mlpBias,
        OptionalInt slidingWindow,
        float embeddingScale,
        float attentionScale,
        boolean tiedEmbeddings,
        List<LayerSpec> layers) {

    public ModelSpec {
        requireNonNull(family, "family is null");
        requireNonNull(norm, "norm is null");
        requireNonNull(activation, "activation is null");
        requireNonNull(rope, "rope is null");
        requireNonNull(slidingWindow, "slidingWindow is null");
        layers = List.copyOf(layers);
        if (layers.size() != numLayers) {
            throw new IllegalArgumentException("expected " + numLayers + " layer specs, got " + layers.size());
        }
        for (int i = 0; i < numLayers; i++) {
            if (layers.get(i).index() != i) {
                throw new IllegalArgumentException("layer spec " + i + " has index " + layers.get(i).index());
            }
        }
        if (numKvHeads <= 0 || numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException(
                    "num_attention_heads (" + numHeads + ") must be a multiple of num_key_value_heads (" + numKvHeads + ")");
        }
    }

    /** Query heads per key/value head. */
    public int queriesPerKvHead() {
        return numHeads / numKvHeads;
    }

    /** Block {@code index}'s composition. */
    public LayerSpec layer(int index) {
        if (index < 0 || index >= numLayers) {
            throw new IllegalArgumentException("layer " + index + " out of range [0, " + numLayers + ")");
        }
        return layers.get(index);
    }

    /** Parameters stored per block, averaged over the blocks (they differ when dense and MoE layers mix). */
    public long parametersPerLayer() {
        long total = 0;
        for (LayerSpec l : layers) {
            total += l.parameters(hiddenSize, norm == NormKind.LAYER_NORM);
        }
        return total / numLayers;
    }

    /** Parameters one token computes through per block, averaged over the blocks: what FLOP counts use. */
    public long activeParametersPerLayer() {
        long total = 0;
        for (LayerSpec l : layers) {
            total += l.activeParameters(hiddenSize, norm == NormKind.LAYER_NORM);
        }
        return total / numLayers;
    }
}
