package org.fpwap.model;

/** How a family normalises the residual stream before each sub-layer and at the end. */
public enum NormKind {
    /** {@code x / sqrt(mean(x²) + eps) * w} (Llama, Mistral, Qwen2). */
    RMS,
    /** {@code x / sqrt(mean(x²) + eps) * (1 + w)} (Gemma stores the offset from one). */
    RMS_ONE_PLUS_WEIGHT,
    /** LayerNorm with weight and bias (GPT-2). */
    LAYER_NORM
}
