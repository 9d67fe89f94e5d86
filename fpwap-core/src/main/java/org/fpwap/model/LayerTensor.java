package org.fpwap.model;

/**
 * The role a tensor plays inside one transformer block, independent of the family's naming.
 * GPT-2's fused {@code c_attn} is {@link #QKV_WEIGHT}; its {@code c_fc}/{@code c_proj} MLP is
 * {@link #UP_WEIGHT}/{@link #DOWN_WEIGHT}. {@link #MLP_NORM_WEIGHT} is the norm before the MLP (Llama's
 * {@code post_attention_layernorm}, Gemma 2's {@code pre_feedforward_layernorm});
 * {@link #POST_ATTN_NORM_WEIGHT}/{@link #POST_MLP_NORM_WEIGHT} normalise a sub-layer's output (Gemma 2/3,
 * OLMo 2).
 */
public enum LayerTensor {
    ATTN_NORM_WEIGHT, ATTN_NORM_BIAS,
    Q_WEIGHT, Q_BIAS, K_WEIGHT, K_BIAS, V_WEIGHT, V_BIAS,
    QKV_WEIGHT, QKV_BIAS,
    O_WEIGHT, O_BIAS,
    MLP_NORM_WEIGHT, MLP_NORM_BIAS,
    GATE_WEIGHT, GATE_BIAS, UP_WEIGHT, UP_BIAS, DOWN_WEIGHT, DOWN_BIAS,
    /** Query/key norms (per head or over the projected width, see {@link QkNorm}). */
    Q_NORM_WEIGHT, K_NORM_WEIGHT,
    /** Norms on the sub-layers' outputs, before the residual add. */
    POST_ATTN_NORM_WEIGHT, POST_MLP_NORM_WEIGHT,
    /**
     * Mixture of experts: the router {@code [E, H]}; the routed experts' gate/up {@code [E, I, H]} and down
     * {@code [E, H, I]} stacked over experts; the shared expert's sigmoid gate {@code [1, H]} (Qwen2-MoE). A shared
     * expert's own projections use {@link #GATE_WEIGHT}/{@link #UP_WEIGHT}/{@link #DOWN_WEIGHT}.
     */
    ROUTER_WEIGHT, EXPERTS_GATE_WEIGHT, EXPERTS_UP_WEIGHT, EXPERTS_DOWN_WEIGHT, SHARED_EXPERT_GATE_WEIGHT,
    /**
     * Latent attention (DeepSeek-V2): {@code q_a_proj}, {@code q_a_layernorm}, {@code q_b_proj},
     * {@code kv_a_proj_with_mqa}, {@code kv_a_layernorm}, {@code kv_b_proj} ({@code q_proj} is {@link #Q_WEIGHT}).
     */
    Q_A_WEIGHT, Q_A_BIAS, Q_A_NORM_WEIGHT, Q_B_WEIGHT, KV_A_WEIGHT, KV_A_BIAS, KV_A_NORM_WEIGHT, KV_B_WEIGHT,
    /** Phi-3's fused {@code gate_up_proj} {@code [2I, H]}. */
    GATE_UP_WEIGHT;

    /** Whether this is a normalisation weight (Gemma families store those as offsets from one). */
    public boolean isNormWeight() {
        return switch (this) {
            case ATTN_NORM_WEIGHT, MLP_NORM_WEIGHT, Q_NORM_WEIGHT, K_NORM_WEIGHT, POST_ATTN_NORM_WEIGHT,
                    POST_MLP_NORM_WEIGHT, Q_A_NORM_WEIGHT, KV_A_NORM_WEIGHT -> true;
            default -> false;
        };
    }
}
