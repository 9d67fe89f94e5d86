package org.fpwap.model;

import static java.util.Objects.requireNonNull;

/** What one block's feed-forward sub-layer is. A sealed set: each variant is an op of its own in {@code forward}. */
public sealed interface MlpSpec {

    /** Parameters stored, at residual width {@code hidden}. */
    long parameters(int hidden);

    /** Parameters one token computes through (all of them for a dense MLP; the chosen experts' for MoE). */
    default long activeParameters(int hidden) {
        return parameters(hidden);
    }

    /**
     * A dense MLP: {@code down(act(gate x) · up x)} when gated, else {@code down(act(up x))}.
     *
     * @param intermediateSize inner width
     * @param activation the non-linearity
     * @param gated SwiGLU/GeGLU style with a gate projection
     * @param bias projections carry biases
     * @param storage how the projections are stored
     */
    record Dense(int intermediateSize, Activation activation, boolean gated, boolean bias, MlpStorage storage)
            implements MlpSpec {
        public Dense {
            requireNonNull(activation, "activation is null");
            requireNonNull(storage, "storage is null");
        }

        @Override
        public long parameters(int hidden) {
            long weights = (gated ? 3L : 2L) * hidden * intermediateSize;
            long biases = bias ? (gated ? 2L * intermediateSize : intermediateSize) + hidden : 0;
            return weights + biases;
        }
    }

    /**
     * A mixture-of-experts MLP: a router ({@code gate}, Linear {@code [E, H]}) scores every expert, each token runs
     * through its {@code topK} chosen gated experts only, their outputs weighted by the routing weights and summed,
     * plus an optional always-on shared expert.
     *
     * @param experts routed experts E
     * @param topK experts per token
     * @param expertIntermediate each routed expert's inner width
     * @param activation the experts' non-linearity (gated, SwiGLU style)
     * @param router how routing weights are chosen and scaled
     * @param naming how the checkpoint names the experts
     * @param shared the always-on shared expert, if any
     */
    record Moe(int experts, int topK, int expertIntermediate, Activation activation, Router router, ExpertNaming naming,
            java.util.Optional<SharedExpert> shared) implements MlpSpec {
        public Moe {
            requireNonNull(activation, "activation is null");
            requireNonNull(router, "router is null");
            requireNonNull(naming, "naming is null");
            requireNonNull(shared, "shared is null");
            if (topK <= 0 || topK > experts) {
                throw new IllegalArgumentException("experts per token (" + topK + ") must be in 1.." + experts);
            }
            if (router.selection() instanceof Selection.GroupLimited g
                    && (experts % g.groups() != 0 || g.topGroups() <= 0 || g.topGroups() > g.groups())) {
                throw new IllegalArgumentException("group-limited routing needs experts (" + experts
                        + ") divisible by n_group (" + g.groups() + ") and 1 <= topk_group (" + g.topGroups() + ") <= n_group");
            }
        }

        private long sharedParameters(int hidden) {
            return shared.map(s -> 3L * hidden * s.intermediateSize() + (s.sigmoidGate() ? hidden : 0)).orElse(0L);
        }

        @Override
        public long parameters(int hidden) {
            return (long) experts * hidden + (long) experts * 3L * hidden * expertIntermediate + sharedParameters(hidden);
        }

        @Override
        public long activeParameters(int hidden) {
            return (long) experts * hidden + (long) topK * 3L * hidden * expertIntermediate + sharedParameters(hidden);
        }
    }

    /**
     * How the router turns its logits into the chosen experts' weights. Every family we support takes the softmax
     * over all experts in FP32 first; then selects {@code topK} ({@link Selection}), optionally renormalises the
     * chosen weights to sum to one, and multiplies them by {@code scalingFactor}.
     *
     * @param selection which experts a token may pick from
     * @param renormalize divide the chosen weights by their sum (Mixtral always; Qwen2-MoE when {@code norm_topk_prob})
     * @param scalingFactor multiplies the chosen weights (DeepSeek-V2's {@code routed_scaling_factor}; 1 elsewhere)
     */
    record Router(Selection selection, boolean renormalize, double scalingFactor) {
        public Router {
            requireNonNull(selection, "selection is null");
        }
    }

    /** Which experts a token's top-k is taken over. */
    sealed interface Selection {
        /** The top-k of all experts' probabilities. */
        record Greedy() implements Selection {}

        /**
         * DeepSeek-V2's {@code group_limited_greedy}: experts form {@code groups} equal groups, each scored by its
         * best expert's probability; only the {@code topGroups} best groups stay eligible (the others' probabilities
         * become 0), then the top-k of what remains.
         */
        record GroupLimited(int groups, int topGroups) implements Selection {}
    }

    /**
     * An expert every token runs through, added to the routed experts' sum.
     *
     * @param intermediateSize its inner width
     * @param sigmoidGate its output is multiplied by {@code sigmoid(shared_expert_gate · x)} (Qwen2-MoE)
     */
    record SharedExpert(int intermediateSize, boolean sigmoidGate) {
        /** The shared expert as the gated dense MLP it computes. */
        public Dense asDense(Activation activation) {
            return new Dense(intermediateSize, activation, true, false, MlpStorage.SEPARATE);
        }
    }

    /** How the checkpoint names one layer's experts. */
    enum ExpertNaming {
        /** Mixtral: {@code block_sparse_moe.gate}, {@code block_sparse_moe.experts.E.w1/w3/w2} (gate, up, down). */
        MIXTRAL,
        /**
         * Qwen2-MoE and DeepSeek-V2: {@code mlp.gate}, {@code mlp.experts.E.gate_proj/up_proj/down_proj}; the shared
         * expert is {@code mlp.shared_expert} (with {@code mlp.shared_expert_gate}) or {@code mlp.shared_experts}.
         */
        MLP_EXPERTS
    }

    /** How a dense MLP's projections are stored. */
    enum MlpStorage {
        /** {@code gate_proj}, {@code up_proj}, {@code down_proj}, Linear {@code [out, in]}. */
        SEPARATE,
        /** One Linear {@code gate_up_proj} {@code [2 I, H]}: the first half of the rows is the gate (Phi-3). */
        FUSED_GATE_UP,
        /** GPT-2's Conv1D {@code c_fc} {@code [H, I]} and {@code c_proj} {@code [I, H]}. */
        CONV1D
    }
}
