package org.fpwap.forward;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Test helper: a copy of a single-file model directory with some {@code config.json} keys replaced (a JSON null
 * value writes an explicit null), the weights byte for byte the same. How the family tests show that a feature
 * read from the config changes the activations.
 */
final class ConfigVariants {

    private ConfigVariants() {}

    /** Copies {@code src} to {@code dst} with {@code overrides} (JSON values by key) written into its config. */
    static Path withConfig(Path src, Path dst, Map<String, String> overrides) {
        try {
            Files.createDirectories(dst);
            JsonObject config = JsonParser.parseString(Files.readString(src.resolve("config.json"))).getAsJsonObject();
            for (Map.Entry<String, String> e : overrides.entrySet()) {
                JsonElement value = JsonParser.parseString(e.getValue());
                config.add(e.getKey(), value);
            }
            Files.writeString(dst.resolve("config.json"), new GsonBuilder().serializeNulls().setPrettyPrinting().create()
                    .toJson(config));
            Files.copy(src.resolve("model.safetensors"), dst.resolve("model.safetensors"));
            return dst;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
