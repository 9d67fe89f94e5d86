package org.fpwap.forward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.safetensors.DType;
import org.fpwap.safetensors.SafetensorsFile;
import org.fpwap.safetensors.SafetensorsWriter;
import org.fpwap.safetensors.TensorInfo;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A multimodal Gemma 3 checkpoint ({@code model_type "gemma3"}, the text model's config nested as
 * {@code text_config}, its tensors under {@code language_model.model.} as released or {@code model.language_model.}
 * as transformers 4.52+ saves them, beside a vision tower we never read) gives, on text prompts, every hook of every
 * layer bit for bit equal to the same weights laid out as a {@code gemma3_text} checkpoint.
 */
class Gemma3MultimodalLayoutTest {

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"language_model.model.", "model.language_model."})
    void theTextModelOfAMultimodalCheckpointEqualsTheTextCheckpointBitForBit(String prefix) throws IOException {
        Path text = tmp.resolve("text");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.GEMMA3_TEXT).layers(3).dims(48, 4, 2, 16)
                .intermediate(80).vocab(96).seed(3).build(), text);
        Path multimodal = Files.createDirectories(tmp.resolve("multimodal"));
        SafetensorsWriter writer = SafetensorsWriter.create(multimodal.resolve("model.safetensors"));
        try (SafetensorsFile file = SafetensorsFile.open(text.resolve("model.safetensors"))) {
            for (TensorInfo t : file.tensors()) {
                writer.add(prefix + t.name().substring("model.".length()), t.dtype(), t.shape(),
                        file.data(t).toArray(ValueLayout.JAVA_BYTE));
            }
        }
        // A vision-tower tensor the text forward must leave alone.
        writer.add("vision_tower.vision_model.post_layernorm.weight", DType.F32, new long[] {4}, new byte[16]);
        writer.write();
        JsonObject wrapper = new JsonObject();
        wrapper.addProperty("model_type", "gemma3");
        wrapper.add("architectures", JsonParser.parseString("[\"Gemma3ForConditionalGeneration\"]"));
        wrapper.add("text_config", JsonParser.parseString(Files.readString(text.resolve("config.json"))));
        wrapper.add("vision_config", JsonParser.parseString("{\"model_type\": \"siglip_vision_model\"}"));
        Files.writeString(multimodal.resolve("config.json"), wrapper.toString());

        List<int[]> prompts = Comparisons.prompts(96, 5, 3, 12, 20);
        float[][][][][] expected = HookCapture.run(text, prompts, PaddingSide.RIGHT);
        float[][][][][] actual = HookCapture.run(multimodal, prompts, PaddingSide.RIGHT);
        for (int s = 0; s < prompts.size(); s++) {
            for (int l = 0; l < expected[s].length; l++) {
                for (int h = 0; h < expected[s][l].length; h++) {
                    for (int t = 0; t < expected[s][l][h].length; t++) {
                        assertArrayEquals(expected[s][l][h][t], actual[s][l][h][t],
                                prefix + " sample " + s + " layer " + l + " hook " + h + " token " + t);
                    }
                }
            }
        }
    }
}
