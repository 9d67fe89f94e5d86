package org.fpwap.model;

/**
 * The {@code rope_scaling} variants we compute exactly. Any other type is rejected when the config
 * is read, naming the key and the value.
 */
public sealed interface RopeScaling {

    /** No scaling: {@code rope_scaling} absent, null or of type {@code default}. */
    record None() implements RopeScaling {}

    /** Type {@code linear}: positions divided by {@code factor} (equivalently inv_freq / factor). */
    record Linear(double factor) implements RopeScaling {}

    /**
     * Type {@code llama3}: low frequencies divided by {@code factor}, high ones kept, a smooth blend
     * in between (as HF {@code _compute_llama3_parameters}).
     */
    record Llama3(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions)
            implements RopeScaling {}

    /**
     * Type {@code longrope} (Phi-3, transformers 4.42+): inverse frequencies divided per pair by
     * {@code shortFactor[i]}, or by {@code longFactor[i]} for sequences longer than {@code originalMaxPositions};
     * cos and sin multiplied by {@code attentionFactor}.
     *
     * @param shortFactor per-pair divisors for short sequences (one per rotated pair)
     * @param longFactor per-pair divisors for long sequences
     * @param originalMaxPositions the pre-training context: longer sequences use {@code longFactor}
     * @param attentionFactor the cos/sin multiplier
     */
    record LongRope(java.util.List<Double> shortFactor, java.util.List<Double> longFactor, int originalMaxPositions,
            double attentionFactor) implements RopeScaling {
        public LongRope {
            shortFactor = java.util.List.copyOf(shortFactor);
            longFactor = java.util.List.copyOf(longFactor);
            if (shortFactor.size() != longFactor.size()) {
                throw new IllegalArgumentException("short_factor has " + shortFactor.size() + " entries, long_factor "
                        + longFactor.size());
            }
        }
    }

    /**
     * Type {@code yarn} as transformers 5.x computes it ({@code _compute_yarn_parameters}): interpolated
     * ({@code inv_freq / factor}) and extrapolated ({@code inv_freq}) frequencies blended by a linear ramp over the
     * dimensions between the corrections for {@code beta_fast} and {@code beta_slow} rotations within
     * {@code original_max_position_embeddings} (bounds floored/ceiled when {@code truncate}), and cos/sin multiplied
     * by {@code attentionFactor} (the config's {@code attention_factor}, else {@code mscale(factor, mscale) /
     * mscale(factor, mscale_all_dim)} when both are set, else {@code 0.1 ln(factor) + 1}).
     */
    record Yarn(double factor, int originalMaxPositions, double betaFast, double betaSlow, double attentionFactor,
            boolean truncate) implements RopeScaling {}
}
