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

    /**
     * Wraps {@code hooks} so that the last model layer's {@code residual_post} is normalised before the
     * hooks see it (the forward's output there is not used again, so normalising it changes nothing else).
     */
    public static HookHandler around(ModelSpec spec, NormWeights weights, HookHandler hooks) {
        int last = spec.numLayers() - 1;
        return HookHandler.routingTo(hooks, (layer, hook, activation) -> layer == last && hook == Hook.RESIDUAL_POST
                ? hooks.at(layer, hook, apply(spec, weights, activation))
                : hooks.at(layer, hook, activation));
    }

    /** Normalises {@code x} {@code [.., H]} with the final norm's weights; the result attaches to x's manager. */
    public static NDArray apply(ModelSpec spec, NormWeights weights, NDArray x) {
        return Norms.apply(spec.norm(), x, weights.weight(), weights.bias().orElse(null), spec.normEps());
    }
}
