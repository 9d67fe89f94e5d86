package org.fpwap.model;

/**
 * The role a tensor plays inside one transformer block, independent of the family's naming.
 * GPT-2's fused {@code c_attn} is {@link #QKV_WEIGHT}; its {@code c_fc}/{@code c_proj} MLP is
 * {@link #UP_WEIGHT}/{@link #DOWN_WEIGHT}.
 */
public enum LayerTensor {
    ATTN_NORM_WEIGHT, ATTN_NORM_BIAS,
    Q_WEIGHT, Q_BIAS, K_WEIGHT, K_BIAS, V_WEIGHT, V_BIAS,
    QKV_WEIGHT, QKV_BIAS,
    O_WEIGHT, O_BIAS,
    MLP_NORM_WEIGHT, MLP_NORM_BIAS,
    GATE_WEIGHT, GATE_BIAS, UP_WEIGHT, UP_BIAS, DOWN_WEIGHT, DOWN_BIAS
}
