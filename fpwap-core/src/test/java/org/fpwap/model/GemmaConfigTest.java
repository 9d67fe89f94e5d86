package org.fpwap.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Gemma 2 and Gemma 3 text configs as transformers writes them: released checkpoints' 4.4x/4.50 files (keys of
 * google/gemma-2-2b and google/gemma-3-1b-pt), the 5.x shapes ({@code layer_types}, {@code rope_parameters} keyed
 * by layer type) and the defaults of absent keys (HF's {@code Gemma2Config} / {@code Gemma3TextConfig}).
 */
class GemmaConfigTest {

    private static final String GEMMA2_2B = """
            {"architectures": ["Gemma2ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
             "attn_logit_softcapping": 50.0, "bos_token_id": 2, "cache_implementation": "hybrid", "eos_token_id": 1,
             "final_logit_softcapping": 30.0, "head_dim": 256, "hidden_act": "gelu_pytorch_tanh",
             "hidden_activation": "gelu_pytorch_tanh", "hidden_size": 2304, "initializer_range": 0.02,
             "intermediate_size": 9216, "max_position_embeddings": 8192, "model_type": "gemma2",
             "num_attention_heads": 8, "num_hidden_layers": 26, "num_key_value_heads": 4, "pad_token_id": 0,
             "query_pre_attn_scalar": 256, "rms_norm_eps": 1e-06, "rope_theta": 10000.0, "sliding_window": 4096,
             "torch_dtype": "float32", "transformers_version": "4.42.4", "use_cache": true, "vocab_size": 256000}""";

    private static final String GEMMA3_1B = """
            {"architectures": ["Gemma3ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
             "attn_logit_softcapping": null, "bos_token_id": 2, "cache_implementation": "hybrid", "eos_token_id": 1,
             "final_logit_softcapping": null, "head_dim": 256, "hidden_activation": "gelu_pytorch_tanh",
             "hidden_size": 1152, "initializer_range": 0.02, "intermediate_size": 6912, "max_position_embeddings": 32768,
             "model_type": "gemma3_text", "num_attention_heads": 4, "num_hidden_layers": 26, "num_key_value_heads": 1,
             "pad_token_id": 0, "query_pre_attn_scalar": 256, "rms_norm_eps": 1e-06, "rope_local_base_freq": 10000,
             "rope_scaling": null, "rope_theta": 1000000, "sliding_window": 512, "sliding_window_pattern": 6,
             "torch_dtype": "bfloat16", "transformers_version": "4.50.0.dev0", "use_cache": true, "vocab_size": 262144}""";

    private static JsonObject json(String text) {
        return JsonParser.parseString(text).getAsJsonObject();
    }

    private static ModelSpec parse(JsonObject c) {
        return ModelConfigReader.parse(Path.of("config.json"), c.toString());
    }

    private static AttentionSpec.Standard attention(ModelSpec spec, int layer) {
        return (AttentionSpec.Standard) spec.layer(layer).attention();
    }

    private static List<Integer> slidingLayers(ModelSpec spec) {
        return IntStream.range(0, spec.numLayers()).filter(i -> spec.layer(i).attention().slidingWindow().isPresent())
                .boxed().toList();
    }

    @Test
    void gemma2ReleasedConfigReadsEveryFeature() {
        ModelSpec spec = parse(json(GEMMA2_2B));
        assertEquals(ModelFamily.GEMMA2, spec.family());
        assertEquals(NormKind.RMS_ONE_PLUS_WEIGHT, spec.norm());
        assertEquals(48.0f, spec.embeddingScale());
        assertEquals(Activation.GELU_TANH, spec.activation());
        assertTrue(spec.tiedEmbeddings());
        assertEquals(IntStream.range(0, 13).map(i -> 2 * i).boxed().toList(), slidingLayers(spec));
        for (int l = 0; l < spec.numLayers(); l++) {
            assertEquals(NormPlacement.SANDWICH, spec.layer(l).norms());
            AttentionSpec.Standard a = attention(spec, l);
            assertEquals(OptionalDouble.of(50.0), a.softcap());
            assertEquals(1.0f / 16, a.scale());
            assertEquals(256, a.headDim());
            assertEquals(QkNorm.NONE, a.qkNorm());
            assertEquals(l % 2 == 0 ? OptionalInt.of(4096) : OptionalInt.empty(), a.slidingWindow());
            assertEquals(Optional.of(new RopeSpec(10000.0, 256, new RopeScaling.None())), a.rope());
        }
    }

    @Test
    void gemma2AbsentKeysTakeGemma2ConfigsDefaults() {
        JsonObject c = json(GEMMA2_2B);
        for (String k : List.of("num_key_value_heads", "attn_logit_softcapping", "sliding_window", "query_pre_attn_scalar",
                "head_dim", "hidden_activation", "rms_norm_eps", "tie_word_embeddings")) {
            c.remove(k);
        }
        ModelSpec spec = parse(c);
        assertEquals(4, spec.numKvHeads());
        assertEquals(256, spec.headDim());
        assertEquals(1e-6, spec.normEps());
        assertTrue(spec.tiedEmbeddings());
        assertEquals(OptionalDouble.of(50.0), attention(spec, 1).softcap());
        assertEquals(OptionalInt.of(4096), attention(spec, 0).slidingWindow());
        assertEquals(1.0f / 16, attention(spec, 0).scale());
    }

    @Test
    void gemma2NullSoftcapAndWindowTurnThemOff() {
        JsonObject c = json(GEMMA2_2B);
        c.add("attn_logit_softcapping", JsonNull.INSTANCE);
        c.add("sliding_window", JsonNull.INSTANCE);
        ModelSpec spec = parse(c);
        assertEquals(List.of(), slidingLayers(spec));
        assertEquals(OptionalDouble.empty(), attention(spec, 0).softcap());
    }

    @Test
    void gemma2QueryScalarSetsTheAttentionScale() {
        JsonObject c = json(GEMMA2_2B);
        c.addProperty("query_pre_attn_scalar", 144);
        assertEquals((float) (1 / 12.0), attention(parse(c), 0).scale());
    }

    @Test
    void gemma2In5xShapeTakesLayerTypesAndRopeParameters() {
        JsonObject c = json(GEMMA2_2B);
        c.remove("rope_theta");
        c.add("rope_parameters", json("{\"rope_type\": \"default\", \"rope_theta\": 20000.0}"));
        c.addProperty("num_hidden_layers", 3);
        c.add("layer_types", JsonParser.parseString("[\"full_attention\", \"full_attention\", \"sliding_attention\"]"));
        ModelSpec spec = parse(c);
        assertEquals(List.of(2), slidingLayers(spec));
        assertEquals(20000.0, attention(spec, 0).rope().orElseThrow().theta());
    }

    @Test
    void gemma2KeyValueHeadDefaultThatDoesNotDivideTheHeadsIsAnError() {
        JsonObject c = json(GEMMA2_2B);
        c.remove("num_key_value_heads");
        c.addProperty("num_attention_heads", 6);
        ModelConfigException e = assertThrows(ModelConfigException.class, () -> parse(c));
        assertTrue(e.getMessage().contains("num_key_value_heads"), e.getMessage());
    }

    @Test
    void bidirectionalAttentionIsRejectedNamingTheKey() {
        for (String config : List.of(GEMMA2_2B, GEMMA3_1B)) {
            JsonObject c = json(config);
            c.addProperty("use_bidirectional_attention", true);
            ModelConfigException e = assertThrows(ModelConfigException.class, () -> parse(c));
            assertTrue(e.getMessage().contains("use_bidirectional_attention"), e.getMessage());
        }
    }

    @Test
    void gemma3ReleasedConfigMakesEverySixthLayerGlobalWithItsOwnRope() {
        ModelSpec spec = parse(json(GEMMA3_1B));
        assertEquals(ModelFamily.GEMMA3_TEXT, spec.family());
        assertEquals(1, spec.numKvHeads());
        RopeSpec local = new RopeSpec(10000.0, 256, new RopeScaling.None());
        RopeSpec global = new RopeSpec(1_000_000.0, 256, new RopeScaling.None());
        for (int l = 0; l < spec.numLayers(); l++) {
            AttentionSpec.Standard a = attention(spec, l);
            boolean isGlobal = (l + 1) % 6 == 0;
            assertEquals(isGlobal ? OptionalInt.empty() : OptionalInt.of(512), a.slidingWindow(), "layer " + l);
            assertEquals(Optional.of(isGlobal ? global : local), a.rope(), "layer " + l);
            assertEquals(QkNorm.PER_HEAD, a.qkNorm());
            assertEquals(OptionalDouble.empty(), a.softcap());
            assertEquals(NormPlacement.SANDWICH, spec.layer(l).norms());
        }
        assertEquals((float) Math.sqrt(1152), spec.embeddingScale());
    }

    @Test
    void gemma3ScalesOnlyTheGlobalRope() {
        JsonObject c = json(GEMMA3_1B);
        c.add("rope_scaling", json("{\"factor\": 8.0, \"rope_type\": \"linear\"}"));
        ModelSpec spec = parse(c);
        assertEquals(new RopeScaling.Linear(8.0), attention(spec, 5).rope().orElseThrow().scaling());
        assertEquals(new RopeScaling.None(), attention(spec, 0).rope().orElseThrow().scaling());
    }

    @Test
    void gemma3NeverSoftCapsAttentionLogitsEvenWhenTheKeyIsSet() {
        JsonObject c = json(GEMMA3_1B);
        c.addProperty("attn_logit_softcapping", 50.0);
        assertEquals(OptionalDouble.empty(), attention(parse(c), 0).softcap());
    }

    @Test
    void gemma3In5xShapeTakesLayerTypesAndPerTypeRopeParameters() {
        JsonObject c = json(GEMMA3_1B);
        for (String k : List.of("rope_scaling", "rope_theta", "rope_local_base_freq", "sliding_window_pattern")) {
            c.remove(k);
        }
        c.addProperty("num_hidden_layers", 4);
        c.add("layer_types", JsonParser.parseString(
                "[\"sliding_attention\", \"full_attention\", \"sliding_attention\", \"sliding_attention\"]"));
        c.add("rope_parameters", json("{\"full_attention\": {\"rope_type\": \"linear\", \"factor\": 8.0, "
                + "\"rope_theta\": 1000000.0}, \"sliding_attention\": {\"rope_type\": \"default\", \"rope_theta\": 10000.0}}"));
        ModelSpec spec = parse(c);
        assertEquals(List.of(0, 2, 3), slidingLayers(spec));
        assertEquals(new RopeSpec(1_000_000.0, 256, new RopeScaling.Linear(8.0)), attention(spec, 1).rope().orElseThrow());
        assertEquals(new RopeSpec(10_000.0, 256, new RopeScaling.None()), attention(spec, 0).rope().orElseThrow());
    }

    @Test
    void gemma3AbsentRopeKeysTakeTheGlobalAndLocalDefaults() {
        JsonObject c = json(GEMMA3_1B);
        for (String k : List.of("rope_scaling", "rope_theta", "rope_local_base_freq", "sliding_window_pattern",
                "num_key_value_heads")) {
            c.remove(k);
        }
        ModelSpec spec = parse(c);
        assertEquals(4, spec.numKvHeads());
        assertEquals(1_000_000.0, attention(spec, 5).rope().orElseThrow().theta());
        assertEquals(10_000.0, attention(spec, 4).rope().orElseThrow().theta());
    }

    @Test
    void gemma3FlatRopeParametersAreRejectedAsAmbiguous() {
        JsonObject c = json(GEMMA3_1B);
        c.add("rope_parameters", json("{\"rope_type\": \"default\", \"rope_theta\": 10000.0}"));
        ModelConfigException e = assertThrows(ModelConfigException.class, () -> parse(c));
        assertTrue(e.getMessage().contains("rope_parameters") && e.getMessage().contains("full_attention"), e.getMessage());
    }

    @Test
    void multimodalGemma3IsReadThroughItsTextConfig() {
        JsonObject c = new JsonObject();
        c.addProperty("model_type", "gemma3");
        c.add("architectures", JsonParser.parseString("[\"Gemma3ForConditionalGeneration\"]"));
        c.addProperty("image_token_index", 262144);
        c.add("text_config", json(GEMMA3_1B));
        c.add("vision_config", json("{\"model_type\": \"siglip_vision_model\", \"hidden_size\": 1152}"));
        assertEquals(parse(json(GEMMA3_1B)), parse(c));
    }

    @Test
    void multimodalTextConfigTakesGemma3TextConfigsDefaultDimensions() {
        JsonObject text = json(GEMMA3_1B);
        for (String k : List.of("vocab_size", "num_attention_heads", "num_key_value_heads", "head_dim")) {
            text.remove(k);
        }
        JsonObject c = new JsonObject();
        c.addProperty("model_type", "gemma3");
        c.add("text_config", text);
        ModelSpec spec = parse(c);
        assertEquals(262208, spec.vocabSize());
        assertEquals(8, spec.numHeads());
        assertEquals(4, spec.numKvHeads());
        assertEquals(256, spec.headDim());
    }

    @Test
    void multimodalGemma3WithoutATextConfigIsRejectedNamingIt() {
        JsonObject c = new JsonObject();
        c.addProperty("model_type", "gemma3");
        ModelConfigException e = assertThrows(ModelConfigException.class, () -> parse(c));
        assertTrue(e.getMessage().contains("text_config"), e.getMessage());
    }

    @Test
    void multimodalGemma3TensorsAreFoundUnderEitherLanguageModelPrefix() {
        ModelSpec spec = parse(json(GEMMA3_1B));
        for (String prefix : List.of("language_model.model.", "model.language_model.")) {
            TensorNames names = TensorNames.resolve(spec, n -> n.equals(prefix + "embed_tokens.weight"));
            assertEquals(prefix + "embed_tokens.weight", names.tokenEmbedding().name());
            assertEquals(prefix + "layers.0.self_attn.k_norm.weight",
                    ((TensorRef) names.layer(0).get(LayerTensor.K_NORM_WEIGHT)).name());
        }
    }

    @Test
    void gemma3TensorNamesIncludeSandwichNormsAndPerHeadQkNorms() {
        ModelSpec spec = parse(json(GEMMA3_1B));
        Map<LayerTensor, WeightRef> layer = TensorNames.resolve(spec, n -> false).layer(3);
        String p = "model.layers.3.";
        assertEquals(p + "input_layernorm.weight", ((TensorRef) layer.get(LayerTensor.ATTN_NORM_WEIGHT)).name());
        assertEquals(p + "post_attention_layernorm.weight", ((TensorRef) layer.get(LayerTensor.POST_ATTN_NORM_WEIGHT)).name());
        assertEquals(p + "pre_feedforward_layernorm.weight", ((TensorRef) layer.get(LayerTensor.MLP_NORM_WEIGHT)).name());
        assertEquals(p + "post_feedforward_layernorm.weight", ((TensorRef) layer.get(LayerTensor.POST_MLP_NORM_WEIGHT)).name());
        TensorRef qNorm = (TensorRef) layer.get(LayerTensor.Q_NORM_WEIGHT);
        assertEquals(p + "self_attn.q_norm.weight", qNorm.name());
        assertEquals(256L, qNorm.shape()[0]);
    }
}
