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
            case GEMMA2 -> "Gemma2ForCausalLM";
            case GEMMA3_TEXT -> "Gemma3ForCausalLM";
        };
    }

    /** Whether the family's HF config ties the output head to the embedding by default. */
    static boolean tiedByDefault(ModelFamily family) {
        return family == ModelFamily.GEMMA || GemmaDefaults.isSandwichGemma(family);
    }

    /** Adds the family's own keys to {@code o} (the shared keys are already there). */
    static void addTo(ModelFamily family, RandomModelConfig c, JsonObject o) {
        switch (family) {
            case QWEN3 -> o.addProperty("attention_bias", false);
            case OLMO2 -> o.addProperty("attention_bias", false);
            case GEMMA2, GEMMA3_TEXT -> GemmaDefaults.addTo(family, c, o);
            default -> { }
        }
    }
}
