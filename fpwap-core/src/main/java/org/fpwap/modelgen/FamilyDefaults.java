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
            case MIXTRAL -> "MixtralForCausalLM";
            case QWEN2_MOE -> "Qwen2MoeForCausalLM";
            case DEEPSEEK_V2 -> "DeepseekV2ForCausalLM";
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
            case MIXTRAL -> {
                // 4 experts, top 2: routing, renormalisation and the per-expert gather all run.
                o.addProperty("num_local_experts", 4);
                o.addProperty("num_experts_per_tok", 2);
            }
            case QWEN2_MOE -> {
                // Layer 0 dense (mlp_only_layers), the rest sparse with a sigmoid-gated shared expert.
                o.addProperty("num_experts", 4);
                o.addProperty("num_experts_per_tok", 2);
                o.addProperty("moe_intermediate_size", Math.max(8, c.intermediateSize() / 2));
                o.addProperty("shared_expert_intermediate_size", c.intermediateSize());
                o.addProperty("norm_topk_prob", true);
                o.addProperty("decoder_sparse_step", 1);
                o.add("mlp_only_layers", com.google.gson.JsonParser.parseString("[0]"));
                o.addProperty("qkv_bias", true);
            }
            case DEEPSEEK_V2 -> {
                // Latent attention with a query bottleneck and yarn, layer 0 dense, then group-limited top-2 of 4
                // experts in 2 groups with a scaling factor and a shared expert.
                int heads = c.numHeads();
                o.addProperty("num_key_value_heads", heads);
                o.addProperty("q_lora_rank", Math.max(8, c.hiddenSize() / 2));
                o.addProperty("kv_lora_rank", Math.max(8, c.hiddenSize() / 3));
                o.addProperty("qk_nope_head_dim", c.headDim());
                o.addProperty("qk_rope_head_dim", Math.max(4, c.headDim() / 2));
                o.addProperty("head_dim", Math.max(4, c.headDim() / 2));
                o.addProperty("v_head_dim", Math.max(4, c.headDim() * 3 / 4));
                o.addProperty("first_k_dense_replace", 1);
                o.addProperty("n_routed_experts", 4);
                o.addProperty("num_experts_per_tok", 2);
                o.addProperty("moe_intermediate_size", Math.max(8, c.intermediateSize() / 2));
                o.addProperty("n_shared_experts", 1);
                o.addProperty("topk_method", "group_limited_greedy");
                o.addProperty("n_group", 2);
                o.addProperty("topk_group", 1);
                o.addProperty("routed_scaling_factor", 1.5);
                o.addProperty("norm_topk_prob", false);
                o.add("rope_scaling", com.google.gson.JsonParser.parseString("{\"type\": \"yarn\", \"factor\": 4.0, "
                        + "\"original_max_position_embeddings\": 16, \"beta_fast\": 32, \"beta_slow\": 1, "
                        + "\"mscale\": 1.0, \"mscale_all_dim\": 0.8}"));
            }
            default -> { }
        }
    }
}
