package org.fpwap.model;

import com.google.gson.JsonObject;

/** Minimal valid {@code config.json} objects per family, for tests to alter one key at a time. */
final class ConfigJson {

    private ConfigJson() {}

    static JsonObject llamaLike(String modelType) {
        JsonObject o = new JsonObject();
        o.addProperty("model_type", modelType);
        o.addProperty("hidden_size", 64);
        o.addProperty("intermediate_size", 128);
        o.addProperty("num_hidden_layers", 2);
        o.addProperty("num_attention_heads", 4);
        o.addProperty("num_key_value_heads", 2);
        o.addProperty("vocab_size", 100);
        o.addProperty("rms_norm_eps", 1e-5);
        return o;
    }

    static JsonObject gpt2() {
        JsonObject o = new JsonObject();
        o.addProperty("model_type", "gpt2");
        o.addProperty("n_embd", 64);
        o.addProperty("n_layer", 2);
        o.addProperty("n_head", 4);
        o.addProperty("vocab_size", 100);
        return o;
    }
}
