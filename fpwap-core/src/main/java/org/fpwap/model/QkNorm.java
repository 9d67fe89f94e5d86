package org.fpwap.model;

/** Normalisation of queries and keys before RoPE (an RMSNorm with a learned weight, the family's norm kind). */
public enum QkNorm {
    /** None (most families). */
    NONE,
    /** Over each head's {@code head_dim} features, one weight {@code [head_dim]} shared by heads (Qwen3, Gemma 3). */
    PER_HEAD,
    /** Over the whole projected width ({@code heads × head_dim}) before the split into heads (OLMo 2). */
    PROJECTED
}
