package org.fpwap.forward;

import java.util.Arrays;
import java.util.Optional;

/**
 * The four points in a transformer block where activations are observed or replaced. Names follow
 * HF {@code hidden_states}: {@code residual_pre} at layer L is {@code hidden_states[L]} (the block's
 * input), {@code residual_post} at L is {@code hidden_states[L+1]}; {@code attn_out} and
 * {@code mlp_out} are exactly the tensors each sub-layer adds to the residual stream.
 */
public enum Hook {
    RESIDUAL_PRE("residual_pre"),
    ATTN_OUT("attn_out"),
    MLP_OUT("mlp_out"),
    RESIDUAL_POST("residual_post");

    private final String wireName;

    Hook(String wireName) {
        this.wireName = wireName;
    }

    /** The name used on the command line and in output file names. */
    public String wireName() {
        return wireName;
    }

    /** The hook called {@code name}, if any. */
    public static Optional<Hook> fromWireName(String name) {
        return Arrays.stream(values()).filter(h -> h.wireName.equals(name)).findFirst();
    }

    @Override
    public String toString() {
        return wireName;
    }
}
