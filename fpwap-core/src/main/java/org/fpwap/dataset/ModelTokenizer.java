package org.fpwap.dataset;

import static java.util.Objects.requireNonNull;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Supplier;

/**
 * The tokenizer for a model's text prompts, found and configured as Hugging Face's {@code AutoTokenizer}
 * would be for that model directory, offline.
 *
 * <p>Which file: the one given ({@code --tokenizer}), else {@code tokenizer.json} beside the model's
 * {@code config.json}. Whether to prepend BOS: the caller's explicit choice ({@code --add-bos} /
 * {@code --no-add-bos}), else {@code add_bos_token} from the {@code tokenizer_config.json} beside that
 * {@code tokenizer.json}, else no BOS (fpwap's rule before it read tokenizer configs: the
 * {@code tokenizer.json} post-processor is never run, so a model whose tokenizer adds BOS only through
 * its post-processor, such as Llama 3, needs {@code --add-bos}). Which id: the tokenizer's own id for
 * {@code bos_token} in {@code tokenizer_config.json} (what HF's tokenizer prepends), else
 * {@code bos_token_id} from {@code config.json}. {@code add_eos_token} is not applied.
 */
public final class ModelTokenizer {
    private ModelTokenizer() {}

    /**
     * Opens the tokenizer for the text prompts of the model in {@code modelDir}.
     *
     * @param modelDir the model directory (a cache snapshot for a Hugging Face id)
     * @param tokenizer an explicit {@code tokenizer.json} (or a directory holding one), if given
     * @param addBos an explicit BOS choice, if given
     * @param configBosTokenId {@code bos_token_id} from the model's {@code config.json}, asked only when needed
     * @return an open tokenizer the caller closes
     * @throws DatasetException naming the file and field when no tokenizer is found or the BOS cannot be decided
     */
    public static TextTokenizer open(Path modelDir, Optional<Path> tokenizer, Optional<Boolean> addBos,
            Supplier<OptionalInt> configBosTokenId) {
        requireNonNull(modelDir, "modelDir is null");
        requireNonNull(tokenizer, "tokenizer is null");
        requireNonNull(addBos, "addBos is null");
        requireNonNull(configBosTokenId, "configBosTokenId is null");
        Path file = tokenizer.map(t -> Files.isDirectory(t) ? t.resolve("tokenizer.json") : t)
                .orElseGet(() -> modelDir.resolve("tokenizer.json"));
        if (tokenizer.isEmpty() && !Files.isRegularFile(file)) {
            throw new DatasetException("text prompts need the model's tokenizer, and none was found: looked for " + file
                    + " (beside the model's config.json); pass --tokenizer PATH to its tokenizer.json");
        }
        TokenizerConfig config = TokenizerConfig.read(file.resolveSibling("tokenizer_config.json"));
        boolean bos = addBos.or(config::addBosToken).orElse(false);
        if (!bos) {
            return TextTokenizer.load(file, false, OptionalInt.empty());
        }
        if (config.bosToken().isEmpty()) {
            return TextTokenizer.load(file, true, configBosTokenId.get());
        }
        String token = config.bosToken().get();
        TextTokenizer plain = TextTokenizer.load(file, false, OptionalInt.empty());
        try {
            int[] ids = plain.encode(token);
            if (ids.length != 1) {
                throw new DatasetException(config.file() + ": bos_token \"" + token + "\" is not one token of " + file
                        + " (it encodes to " + Arrays.toString(ids) + "); fix bos_token, or pass --no-add-bos");
            }
            return plain.withBos(ids[0]);
        } finally {
            plain.close();
        }
    }

    /**
     * What fpwap reads from {@code tokenizer_config.json}.
     *
     * @param file where it was (or would be)
     * @param addBosToken {@code add_bos_token}, when present and not null
     * @param bosToken {@code bos_token}'s text (a string or an object's {@code content}), when present and not null
     */
    record TokenizerConfig(Path file, Optional<Boolean> addBosToken, Optional<String> bosToken) {

        static TokenizerConfig read(Path file) {
            if (!Files.isRegularFile(file)) {
                return new TokenizerConfig(file, Optional.empty(), Optional.empty());
            }
            JsonObject root;
            try {
                JsonElement parsed = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
                if (!parsed.isJsonObject()) {
                    throw new DatasetException(file + ": expected a JSON object, got " + abbreviate(parsed.toString()));
                }
                root = parsed.getAsJsonObject();
            } catch (IOException | JsonParseException e) {
                throw new DatasetException(file + ": cannot read the tokenizer config (" + e.getMessage() + ")");
            }
            return new TokenizerConfig(file, addBos(file, root.get("add_bos_token")), bosText(file, root.get("bos_token")));
        }

        private static Optional<Boolean> addBos(Path file, JsonElement value) {
            if (value == null || value.isJsonNull()) {
                return Optional.empty();
            }
            if (value.isJsonPrimitive() && value.getAsJsonPrimitive().isBoolean()) {
                return Optional.of(value.getAsBoolean());
            }
            throw new DatasetException(file + ": add_bos_token must be true or false, got " + abbreviate(value.toString()));
        }

        private static Optional<String> bosText(Path file, JsonElement value) {
            if (value == null || value.isJsonNull()) {
                return Optional.empty();
            }
            if (value.isJsonPrimitive() && value.getAsJsonPrimitive().isString()) {
                return Optional.of(value.getAsString());
            }
            if (value.isJsonObject() && value.getAsJsonObject().get("content") instanceof JsonElement c
                    && c.isJsonPrimitive() && c.getAsJsonPrimitive().isString()) {
                return Optional.of(c.getAsString());
            }
            throw new DatasetException(file + ": bos_token must be a string or an object with \"content\", got "
                    + abbreviate(value.toString()));
        }

        private static String abbreviate(String s) {
            return s.length() <= 60 ? s : s.substring(0, 57) + "...";
        }
    }
}
