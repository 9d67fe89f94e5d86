package org.fpwap.model;

/**
 * Where a block normalises around its two sub-layers (attention, then MLP). The sub-layer's output after
 * any post-norm is what it adds to the residual stream, and what the {@code attn_out}/{@code mlp_out}
 * hooks see.
 */
public enum NormPlacement {
    /** Norm before each sub-layer (Llama, Mistral, Qwen2/3, Gemma, GPT-2, Phi-3, MoE families). */
    PRE,
    /** Norms before and after each sub-layer (Gemma 2, Gemma 3: "sandwich" norms). */
    SANDWICH,
    /** Norm after each sub-layer only, before the residual add (OLMo 2). */
    POST;

    /** Whether the sub-layers' inputs are normalised. */
    public boolean hasPreNorms() {
        return this != POST;
    }

    /** Whether the sub-layers' outputs are normalised before the residual add. */
    public boolean hasPostNorms() {
        return this != PRE;
    }
}
