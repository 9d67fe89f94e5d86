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

    /**
     * DeepSeek-V2's multi-head latent attention: queries from {@code q_proj}, or through a rank-{@code qLoraRank}
     * bottleneck ({@code q_a_proj}, RMSNorm {@code q_a_layernorm}, {@code q_b_proj}); keys and values from one
     * compressed projection {@code kv_a_proj_with_mqa} ({@code kvLoraRank} latent features then one shared
     * {@code qkRopeHeadDim}-wide rotary key), the latent RMSNorm-ed ({@code kv_a_layernorm}) and expanded by
     * {@code kv_b_proj} into per-head non-rotary keys and values. Query/key heads are {@code nope + rope} wide, value
     * heads {@code vHeadDim}; RoPE (HF's interleaved pairs) touches only the rope part.
     *
     * @param numHeads heads (keys and values have as many)
     * @param qLoraRank the query bottleneck rank, absent when queries come from {@code q_proj}
     * @param kvLoraRank the key/value latent width
     * @param qkNopeHeadDim per-head non-rotary query/key width
     * @param qkRopeHeadDim per-head rotary query/key width (the key's rotary part is shared by all heads)
     * @param vHeadDim per-head value width
     * @param bias {@code q_a_proj}, {@code kv_a_proj_with_mqa} and {@code o_proj} carry biases ({@code attention_bias})
     * @param latentNormEps the epsilon of the two latent RMSNorms (HF builds them with its default 1e-6)
     * @param ropeSpec the rotary embedding of the rope part
     * @param scale the factor on {@code q·k}
     */
    record Latent(
            int numHeads,
            OptionalInt qLoraRank,
            int kvLoraRank,
            int qkNopeHeadDim,
            int qkRopeHeadDim,
            int vHeadDim,
            boolean bias,
            double latentNormEps,
            RopeSpec ropeSpec,
            float scale) implements AttentionSpec {

        public Latent {
            requireNonNull(qLoraRank, "qLoraRank is null");
            requireNonNull(ropeSpec, "ropeSpec is null");
        }

        /** Query/key head width. */
        public int qkHeadDim() {
            return qkNopeHeadDim + qkRopeHeadDim;
        }

        @Override
        public int outputWidth() {
            return numHeads * vHeadDim;
        }

        @Override
        public OptionalInt slidingWindow() {
            return OptionalInt.empty();
        }

        @Override
        public Optional<RopeSpec> rope() {
            return Optional.of(ropeSpec);
        }

        @Override
        public long parameters(int hidden) {
            long qOut = (long) numHeads * qkHeadDim();
            long q = qLoraRank.isPresent()
                    ? (long) hidden * qLoraRank.getAsInt() + (bias ? qLoraRank.getAsInt() : 0) + qLoraRank.getAsInt()
                            + (long) qLoraRank.getAsInt() * qOut
                    : (long) hidden * qOut;
            long kvA = (long) hidden * (kvLoraRank + qkRopeHeadDim) + (bias ? kvLoraRank + qkRopeHeadDim : 0) + kvLoraRank;
            long kvB = (long) kvLoraRank * numHeads * (qkNopeHeadDim + vHeadDim);
            long o = (long) outputWidth() * hidden + (bias ? hidden : 0);
            return q + kvA + kvB + o;
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
