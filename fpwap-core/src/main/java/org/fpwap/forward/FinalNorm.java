package org.fpwap.forward;

import ai.djl.ndarray.NDArray;
import org.fpwap.model.ModelSpec;
import org.fpwap.weights.NormWeights;

/**
 * The model's final norm ({@code model.norm} / {@code ln_f}). HF applies it to the last entry of
 * {@code hidden_states}; fpwap applies it to the last layer's {@code residual_post} when asked.
 */
public final class FinalNorm {

    private FinalNorm() {}

    /** Normalises {@code x} {@code [.., H]} with the final norm's weights; the result attaches to x's manager. */
    public static NDArray apply(ModelSpec spec, NormWeights weights, NDArray x) {
        return Norms.apply(spec.norm(), x, weights.weight(), weights.bias().orElse(null), spec.normEps());
    }
}
