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
