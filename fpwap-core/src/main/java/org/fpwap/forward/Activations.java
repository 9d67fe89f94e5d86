package org.fpwap.forward;

import ai.djl.ndarray.NDArray;
import org.fpwap.model.Activation;

/** The MLP non-linearities, composed from DJL ops where DJL lacks them. */
final class Activations {

    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2.0 / Math.PI);

    private Activations() {}

    static NDArray apply(Activation kind, NDArray x) {
        return switch (kind) {
            case SILU -> x.mul(ai.djl.nn.Activation.sigmoid(x));
            case GELU_TANH -> geluTanh(x);
            case GELU_ERF -> ai.djl.nn.Activation.gelu(x);
        };
    }

    /** {@code 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))}, HF {@code gelu_new}. */
    private static NDArray geluTanh(NDArray x) {
        NDArray inner = x.add(x.pow(3f).mul(0.044715f)).mul(SQRT_2_OVER_PI);
        return x.mul(0.5f).mul(inner.tanh().add(1f));
    }
}
