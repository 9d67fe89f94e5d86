package org.fpwap.model;

import static java.util.Objects.requireNonNull;

/**
 * One block as the forward composes it: where its norms sit, how it attends, what its MLP is. Families
 * differ only through these values; layers of one model may differ (Gemma 2/3 alternate sliding and
 * global attention, MoE families mix dense and expert layers).
 *
 * @param index the block index
 * @param norms where the block normalises
 * @param attention the attention op
 * @param mlp the feed-forward op
 */
public record LayerSpec(int index, NormPlacement norms, AttentionSpec attention, MlpSpec mlp) {
    public LayerSpec {
        requireNonNull(norms, "norms is null");
        requireNonNull(attention, "attention is null");
        requireNonNull(mlp, "mlp is null");
    }

    /** Norm weights of the block at width {@code hidden} (LayerNorm's biases included when {@code withBias}). */
    private long normParameters(int hidden, boolean withBias) {
        int count = switch (norms) {
            case PRE, POST -> 2;
            case SANDWICH -> 4;
        };
        return (long) count * hidden * (withBias ? 2 : 1);
    }

    /** Parameters stored for this block. */
    public long parameters(int hidden, boolean layerNormBiases) {
        return attention.parameters(hidden) + mlp.parameters(hidden) + normParameters(hidden, layerNormBiases);
    }

    /** Parameters one token computes through in this block (MoE: only the chosen experts). */
    public long activeParameters(int hidden, boolean layerNormBiases) {
        return attention.parameters(hidden) + mlp.activeParameters(hidden) + normParameters(hidden, layerNormBiases);
    }
}
