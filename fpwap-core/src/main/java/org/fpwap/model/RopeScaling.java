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
}
