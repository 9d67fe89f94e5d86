package org.fpwap.modelgen;

import com.google.gson.JsonObject;
import org.fpwap.model.ModelFamily;

/**
 * What a generated model of each family writes beyond the shared Llama-style keys: its architecture name
 * and its own config keys with small-model values that exercise every feature of the family (so
 * {@code make-model --family F} and the tests get a model whose distinctive paths actually run).
 */
final class FamilyDefaults {

    private FamilyDefaults() {}

    /** The {@code architectures} entry HF writes for the family. */
    static String architecture(ModelFamily family) {
        return switch (family) {
            case LLAMA -> "LlamaForCausalLM";
            case MISTRAL -> "MistralForCausalLM";
            case QWEN2 -> "Qwen2ForCausalLM";
            case GEMMA -> "GemmaForCausalLM";
            case GPT2 -> "GPT2LMHeadModel";
            case QWEN3 -> "Qwen3ForCausalLM";
            case OLMO2 -> "Olmo2ForCausalLM";
            case PHI3 -> "Phi3ForCausalLM";
            case GEMMA2 -> "Gemma2ForCausalLM";
            case GEMMA3_TEXT -> "Gemma3ForCausalLM";
        };
    }

    /** Whether the family's HF config ties the output head to the embedding by default. */
    static boolean tiedByDefault(ModelFamily family) {
        return family == ModelFamily.GEMMA || GemmaDefaults.isSandwichGemma(family);
    }

    /**
     * Phi-3 with every feature on: half the head rotates, longrope with distinct short and long factors switching
     * at a third of the position limit (so test prompts can land on either side), a sliding window.
     */
    private static void phi3(RandomModelConfig c, JsonObject o) {
        int pairs = c.headDim() / 4;
        com.google.gson.JsonArray shortFactor = new com.google.gson.JsonArray();
        com.google.gson.JsonArray longFactor = new com.google.gson.JsonArray();
        for (int i = 0; i < pairs; i++) {
            shortFactor.add(1.0 + 0.05 * i);
            longFactor.add(1.0 + 0.5 * i);
        }
        JsonObject scaling = new JsonObject();
        scaling.addProperty("type", "longrope");
        scaling.add("short_factor", shortFactor);
        scaling.add("long_factor", longFactor);
        o.add("rope_scaling", scaling);
        o.addProperty("partial_rotary_factor", 0.5);
        o.addProperty("original_max_position_embeddings", Math.max(2, c.maxPositions() / 16));
        o.addProperty("sliding_window", Math.max(2, c.maxPositions() / 16));
    }

    /** Adds the family's own keys to {@code o} (the shared keys are already there). */
    static void addTo(ModelFamily family, RandomModelConfig c, JsonObject o) {
        switch (family) {
            case QWEN3 -> o.addProperty("attention_bias", false);
            case OLMO2 -> o.addProperty("attention_bias", false);
            case PHI3 -> phi3(c, o);
            case GEMMA2, GEMMA3_TEXT -> GemmaDefaults.addTo(family, c, o);
            default -> { }
        }
    }
}
