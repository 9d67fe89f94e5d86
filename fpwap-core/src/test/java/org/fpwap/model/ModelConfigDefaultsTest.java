package org.fpwap.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * Keys absent from {@code config.json} take the defaults of the Hugging Face config class of the family
 * (LlamaConfig, MistralConfig, GemmaConfig, GPT2Config), where they change the math.
 */
class ModelConfigDefaultsTest {

    private static ModelSpec parse(JsonObject c) {
        return ModelConfigReader.parse(Path.of("config.json"), c.toString());
    }

    @Test
    void llamaWithoutKeyValueHeadsIsMultiHeadAttention() {
        JsonObject c = ConfigJson.llamaLike("llama");
        c.remove("num_key_value_heads");
        ModelSpec spec = parse(c);
        assertEquals(4, spec.numKvHeads());
        assertEquals(1, spec.queriesPerKvHead());
    }

    @Test
    void mistralWithoutASlidingWindowKeyUsesMistralConfigsDefaultOf4096() {
        JsonObject c = ConfigJson.llamaLike("mistral");
        assertEquals(OptionalInt.of(4096), parse(c).slidingWindow());
    }

    @Test
    void mistralWithANullSlidingWindowHasNoWindow() {
        JsonObject c = ConfigJson.llamaLike("mistral");
        c.add("sliding_window", JsonNull.INSTANCE);
        assertEquals(OptionalInt.empty(), parse(c).slidingWindow());
    }

    @Test
    void llamaIgnoresSlidingWindowBecauseLlamaHasNone() {
        JsonObject c = ConfigJson.llamaLike("llama");
        c.addProperty("sliding_window", 8);
        assertEquals(OptionalInt.empty(), parse(c).slidingWindow());
    }

    @Test
    void gemmaWithoutHeadDimUses256() {
        ModelSpec spec = parse(ConfigJson.llamaLike("gemma"));
        assertEquals(256, spec.headDim());
        assertEquals((float) (1 / 16.0), spec.attentionScale());
    }

    @Test
    void gemmaPrefersHiddenActivationOverHiddenAct() {
        JsonObject c = ConfigJson.llamaLike("gemma");
        c.addProperty("hidden_act", "gelu");
        c.addProperty("hidden_activation", "gelu_pytorch_tanh");
        assertEquals(Activation.GELU_TANH, parse(c).activation());
    }

    @Test
    void gemmaHonoursAnExactGeluHiddenActivation() {
        JsonObject c = ConfigJson.llamaLike("gemma");
        c.addProperty("hidden_act", "gelu_pytorch_tanh");
        c.addProperty("hidden_activation", "gelu");
        assertEquals(Activation.GELU_ERF, parse(c).activation());
    }

    @Test
    void gpt2WithANullInnerSizeUsesFourTimesTheWidth() {
        JsonObject c = ConfigJson.gpt2();
        c.add("n_inner", JsonNull.INSTANCE);
        assertEquals(4 * 64, parse(c).intermediateSize());
    }

    @Test
    void gpt2ScalesAttentionByInverseSquareRootOfHeadWidthUnlessDisabled() {
        JsonObject c = ConfigJson.gpt2();
        assertEquals(0.25f, parse(c).attentionScale());
        c.addProperty("scale_attn_weights", false);
        assertEquals(1.0f, parse(c).attentionScale());
    }
}
