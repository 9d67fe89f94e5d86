package org.fpwap.modelgen;

import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.fpwap.model.ModelFamily;

/**
 * Config keys of generated Gemma 2 / Gemma 3 text models, chosen so that every distinctive path runs and matters
 * on short prompts: a sliding window of 8 tokens on the local layers, a query scalar different from
 * {@code head_dim}, a small attention-logit soft-cap (Gemma 2), and for Gemma 3 a global layer every second layer
 * with its own RoPE base and linear scaling (the 4.x key shapes; tests write the 5.x ones through
 * {@code extraConfig}).
 */
final class GemmaDefaults {

    /** Window of the local layers of generated models: shorter than most test and demo prompts. */
    static final int WINDOW = 8;

    private GemmaDefaults() {}

    /** Whether {@code family} is one of the sandwich-norm Gemma families generated here. */
    static boolean isSandwichGemma(ModelFamily family) {
        return family == ModelFamily.GEMMA2 || family == ModelFamily.GEMMA3_TEXT;
    }

    /** Adds the family's keys to {@code o}. */
    static void addTo(ModelFamily family, RandomModelConfig c, JsonObject o) {
        o.addProperty("hidden_act", "gelu_pytorch_tanh");
        o.addProperty("hidden_activation", "gelu_pytorch_tanh");
        o.addProperty("rms_norm_eps", 1e-6);
        o.addProperty("attention_bias", false);
        o.addProperty("query_pre_attn_scalar", 2 * c.headDim());
        o.addProperty("sliding_window", WINDOW);
        if (family == ModelFamily.GEMMA2) {
            o.addProperty("attn_logit_softcapping", 5.0);
            o.addProperty("final_logit_softcapping", 30.0);
            return;
        }
        o.add("attn_logit_softcapping", JsonNull.INSTANCE);
        o.add("final_logit_softcapping", JsonNull.INSTANCE);
        o.addProperty("sliding_window_pattern", 2);
        o.addProperty("rope_theta", 1_000_000.0);
        o.addProperty("rope_local_base_freq", 10_000.0);
        if (c.ropeScalingJson() == null) {
            o.add("rope_scaling", JsonParser.parseString("{\"rope_type\": \"linear\", \"factor\": 8.0}"));
        }
    }
}
