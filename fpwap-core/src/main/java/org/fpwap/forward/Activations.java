package org.fpwap.forward;

import ai.djl.ndarray.NDArray;
import org.fpwap.model.Activation;

/** The MLP non-linearities, composed from DJL ops where DJL lacks them. */
final class Activations {

    private static final float TWO_SQRT_2_OVER_PI = (float) (2 * Math.sqrt(2.0 / Math.PI));

    private Activations() {}

    static NDArray apply(Activation kind, NDArray x) {
        return switch (kind) {
            case SILU -> x.mul(ai.djl.nn.Activation.sigmoid(x));
            case GELU_TANH -> geluTanh(x);
            case GELU_ERF -> ai.djl.nn.Activation.gelu(x);
        };
    }

    /**
     * HF {@code gelu_new}, {@code 0.5 x (1 + tanh(z))} with {@code z = √(2/π) (x + 0.044715 x³)}, computed as the
     * identical {@code x · sigmoid(2z)}: six element-wise passes over the {@code [B, T, I]} tensor instead of eight
     * (these passes, not the GEMMs, are what made GELU families slower than SiLU ones).
     */
    private static NDArray geluTanh(NDArray x) {
        NDArray twoZ = x.square().mul(0.044715f * TWO_SQRT_2_OVER_PI).add(TWO_SQRT_2_OVER_PI).mul(x);
        return x.mul(ai.djl.nn.Activation.sigmoid(twoZ));
    }
}
