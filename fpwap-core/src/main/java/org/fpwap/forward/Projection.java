package org.fpwap.forward;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.core.Linear;

/** A dense projection over every token of the microbatch in one GEMM. */
final class Projection {

    private Projection() {}

    /**
     * {@code y = x Wᵀ + b} for HF Linear weights {@code [out, in]}, or {@code y = x W + b} for GPT-2's
     * Conv1D weights {@code [in, out]}.
     */
    static NDArray apply(NDArray x, NDArray weight, NDArray bias, boolean conv1d) {
        if (!conv1d) {
            return Linear.linear(x, weight, bias).singletonOrThrow();
        }
        NDArray y = x.matMul(weight);
        return bias == null ? y : y.add(bias);
    }
}
