package org.fpwap.model;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Configs we cannot compute exactly are rejected, and the message names the offending key and value
 * (so a user knows what to change), never silently ignored.
 */
class ModelConfigRejectionTest {

    private static final Path FILE = Path.of("some-model", "config.json");

    @TempDir
    Path tmp;

    private static void assertRejected(JsonObject config, String... mustMention) {
        ModelConfigException e = assertThrows(ModelConfigException.class, () -> ModelConfigReader.parse(FILE, config.toString()));
        for (String s : mustMention) {
            assertTrue(e.getMessage().contains(s), "message should mention " + s + ": " + e.getMessage());
        }
        assertTrue(e.getMessage().contains(FILE.toString()), "message names the file: " + e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"dynamic", "longrope"})
    void aRopeScalingTypeWeDoNotComputeIsRejectedNamingTheType(String type) {
        JsonObject c = ConfigJson.llamaLike("llama");
        c.add("rope_scaling", JsonParser.parseString("{\"type\": \"" + type + "\", \"factor\": 2.0}"));
        assertRejected(c, "rope_scaling", "\"" + type + "\"");
    }

    @Test
    void theNewerRopeTypeKeyIsReadToo() {
        JsonObject c = ConfigJson.llamaLike("llama");
        c.add("rope_scaling", JsonParser.parseString("{\"rope_type\": \"dynamic\", \"factor\": 2.0}"));
        assertRejected(c, "rope_scaling", "\"dynamic\"");
    }

    @Test
    void yarnWithoutItsOriginalContextLengthIsRejectedNamingTheKey() {
        JsonObject c = ConfigJson.llamaLike("llama");
        c.add("rope_scaling", JsonParser.parseString("{\"rope_type\": \"yarn\", \"factor\": 2.0}"));
        assertRejected(c, "rope_scaling.original_max_position_embeddings", "yarn");
    }

    @ParameterizedTest
    @ValueSource(strings = {"mamba", "falcon"})
    void anUnknownModelTypeIsRejectedNamingIt(String type) {
        assertRejected(ConfigJson.llamaLike(type), "model_type", "\"" + type + "\"");
    }

    @Test
    void qwen2WithSlidingWindowEnabledIsRejected() {
        JsonObject c = ConfigJson.llamaLike("qwen2");
        c.addProperty("use_sliding_window", true);
        assertRejected(c, "use_sliding_window", "true");
    }

    @Test
    void aMissingHiddenSizeIsRejectedNamingTheKey() {
        JsonObject c = ConfigJson.llamaLike("llama");
        c.remove("hidden_size");
        assertRejected(c, "hidden_size");
    }

    @Test
    void attentionHeadsNotAMultipleOfKeyValueHeadsAreRejectedNamingBoth() {
        JsonObject c = ConfigJson.llamaLike("llama");
        c.addProperty("num_attention_heads", 6);
        c.addProperty("num_key_value_heads", 4);
        assertRejected(c, "num_attention_heads", "6", "num_key_value_heads", "4");
    }

    @Test
    void anUnsupportedActivationIsRejectedNamingIt() {
        JsonObject c = ConfigJson.llamaLike("llama");
        c.addProperty("hidden_act", "relu");
        assertRejected(c, "hidden_act", "\"relu\"");
    }

    @Test
    void gpt2LayerIndexAttentionScalingIsRejected() {
        JsonObject c = ConfigJson.gpt2();
        c.addProperty("scale_attn_by_inverse_layer_idx", true);
        assertRejected(c, "scale_attn_by_inverse_layer_idx", "true");
    }

    @Test
    void partialRotaryEmbeddingsAreRejected() {
        JsonObject c = ConfigJson.llamaLike("llama");
        c.addProperty("partial_rotary_factor", 0.5);
        assertRejected(c, "partial_rotary_factor", "0.5");
    }

    @Test
    void aConfigThatIsNotAJsonObjectIsRejectedWhenParsed() {
        ModelConfigException e = assertThrows(ModelConfigException.class, () -> ModelConfigReader.parse(FILE, "[1, 2]"));
        assertTrue(e.getMessage().contains("JSON object") && e.getMessage().contains("[1,2]"), e.getMessage());
    }

    @Test
    void aConfigFileThatIsNotAJsonObjectIsRejectedWhenRead() throws Exception {
        Files.writeString(tmp.resolve("config.json"), "\"llama\"");
        ModelConfigException e = assertThrows(ModelConfigException.class, () -> ModelConfigReader.read(tmp));
        assertTrue(e.getMessage().contains("JSON object") && e.getMessage().contains("\"llama\""), e.getMessage());
        assertTrue(e.getMessage().contains(tmp.resolve("config.json").toString()), e.getMessage());
    }
}
