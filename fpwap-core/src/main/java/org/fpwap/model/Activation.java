package org.fpwap.model;

/** The MLP non-linearity. */
public enum Activation {
    /** {@code x * sigmoid(x)}, HF {@code silu}. */
    SILU,
    /** The tanh approximation of GELU, HF {@code gelu_new} / {@code gelu_pytorch_tanh}. */
    GELU_TANH,
    /** The exact erf GELU, HF {@code gelu}. */
    GELU_ERF
}
