package org.fpwap.model;

import static java.util.Objects.requireNonNull;

import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/** How one block attends. A sealed set: each variant is an op of its own in {@code forward}. */
public sealed interface AttentionSpec {

    /** Query heads. */
    int numHeads();

    /** Width of the attention output before the output projection ({@code heads × value head width}). */
    int outputWidth();

    /** Keys farther back than this many positions are masked, if set. */
    OptionalInt slidingWindow();

    /** The rotary embedding this layer applies, if any. */
    Optional<RopeSpec> rope();

    /** Parameters (weights, biases, q/k norms) at residual width {@code hidden}. */
    long parameters(int hidden);

    /**
     * Multi-head (grouped-query) attention with separate or fused q/k/v projections.
     *
     * @param numHeads query heads
     * @param numKvHeads key/value heads
     * @param headDim per-head width
     * @param projections how q/k/v are stored
     * @param qkvBias q/k/v projections carry biases
     * @param outputBias the output projection carries a bias
     * @param qkNorm normalisation of queries and keys before RoPE
     * @param slidingWindow window of keys a query sees, if limited
     * @param rope rotary embedding, absent for learned absolute positions
     * @param scale the factor on {@code q·k}
     * @param softcap scores become {@code cap · tanh(scores / cap)} before the mask, if set (Gemma 2)
     */
    record Standard(
            int numHeads,
            int numKvHeads,
            int headDim,
            QkvProjections projections,
            boolean qkvBias,
            boolean outputBias,
            QkNorm qkNorm,
            OptionalInt slidingWindow,
            Optional<RopeSpec> rope,
            float scale,
            OptionalDouble softcap) implements AttentionSpec {

        public Standard {
            requireNonNull(projections, "projections is null");
            requireNonNull(qkNorm, "qkNorm is null");
            requireNonNull(slidingWindow, "slidingWindow is null");
            requireNonNull(rope, "rope is null");
            requireNonNull(softcap, "softcap is null");
            if (numKvHeads <= 0 || numHeads % numKvHeads != 0) {
                throw new IllegalArgumentException("query heads (" + numHeads + ") must be a multiple of key/value heads ("
                        + numKvHeads + ")");
            }
        }

        @Override
        public int outputWidth() {
            return numHeads * headDim;
        }

        @Override
        public long parameters(int hidden) {
            long q = (long) numHeads * headDim;
            long kv = (long) numKvHeads * headDim;
            long weights = hidden * (q + 2 * kv) + q * hidden;
            long biases = (qkvBias ? q + 2 * kv : 0) + (outputBias ? hidden : 0);
            long norms = switch (qkNorm) {
                case NONE -> 0;
                case PER_HEAD -> 2L * headDim;
                case PROJECTED -> q + kv;
            };
            return weights + biases + norms;
        }

        /** Query heads per key/value head. */
        public int group() {
            return numHeads / numKvHeads;
        }
    }

    /** How a standard attention's q/k/v projections are stored. */
    enum QkvProjections {
        /** {@code q_proj}, {@code k_proj}, {@code v_proj}, Linear {@code [out, in]}. */
        SEPARATE,
        /** One Linear {@code qkv_proj} {@code [(h + 2 kv) d, H]}, rows q then k then v (Phi-3). */
        FUSED,
        /** GPT-2's Conv1D {@code c_attn} {@code [H, 3H]}, columns q then k then v. */
        FUSED_CONV1D
    }
}
