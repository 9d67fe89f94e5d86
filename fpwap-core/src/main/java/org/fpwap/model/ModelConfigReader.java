package org.fpwap.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import org.fpwap.io.JsonErrors;

/**
 * Reads a Hugging Face {@code config.json} into a {@link ModelSpec}. Defaults follow the HF config
 * classes of each family; options that change the math and that we do not compute (for example
 * {@code rope_scaling} of type {@code yarn}) are rejected with the key and the value, never ignored.
 */
public final class ModelConfigReader {

    private final Path file;
    private final JsonObject json;

    private ModelConfigReader(Path file, JsonObject json) {
        this.file = file;
        this.json = json;
    }

    /** Reads {@code config.json} from a model directory (or the file itself). */
    public static ModelSpec read(Path modelDirOrConfig) {
        Path file = Files.isDirectory(modelDirOrConfig) ? modelDirOrConfig.resolve("config.json") : modelDirOrConfig;
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ModelConfigException(file, "file not found; a model directory needs a Hugging Face config.json");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return parse(file, text);
    }

    /** Parses config JSON text (for tests and for configs held in memory). */
    public static ModelSpec parse(Path nameForErrors, String jsonText) {
        JsonElement root;
        try {
            root = JsonParser.parseString(jsonText);
        } catch (JsonParseException e) {
            throw new ModelConfigException(nameForErrors, "not valid JSON: " + JsonErrors.describe(e));
        }
        if (!root.isJsonObject()) {
            throw new ModelConfigException(nameForErrors, "expected a JSON object, got " + root);
        }
        return new ModelConfigReader(nameForErrors, root.getAsJsonObject()).spec();
    }

    /** The {@code bos_token_id} of a model's config, if it has a single integer one. */
    public static OptionalInt bosTokenId(Path modelDir) {
        Path file = Files.isDirectory(modelDir) ? modelDir.resolve("config.json") : modelDir;
        try {
            JsonElement root = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
            JsonElement bos = root.isJsonObject() ? root.getAsJsonObject().get("bos_token_id") : null;
            return bos != null && bos.isJsonPrimitive() && bos.getAsJsonPrimitive().isNumber()
                    ? OptionalInt.of(bos.getAsInt()) : OptionalInt.empty();
        } catch (IOException | JsonParseException e) {
            throw new ModelConfigException(file, "cannot read bos_token_id: " + e.getMessage());
        }
    }

    private ModelSpec spec() {
        String modelType = requiredString("model_type");
        ModelFamily family = ModelFamily.fromModelType(modelType).orElseThrow(() -> new ModelConfigException(file,
                "model_type \"" + modelType + "\" is not supported; supported: llama, mistral, qwen2, gemma, gpt2"));
        return family == ModelFamily.GPT2 ? gpt2() : llamaLike(family);
    }

    private ModelSpec llamaLike(ModelFamily family) {
        int hidden = requiredInt("hidden_size");
        int layers = requiredInt("num_hidden_layers");
        int heads = requiredInt("num_attention_heads");
        int kvHeads = optionalInt("num_key_value_heads").orElse(heads);
        int defaultHeadDim = family == ModelFamily.GEMMA ? 256 : hidden / heads;
        int headDim = optionalInt("head_dim").orElse(defaultHeadDim);
        if (kvHeads <= 0 || heads % kvHeads != 0) {
            throw new ModelConfigException(file, "num_attention_heads (" + heads
                    + ") must be a positive multiple of num_key_value_heads (" + kvHeads + ")");
        }
        if (!json.has("head_dim") && family != ModelFamily.GEMMA && hidden % heads != 0) {
            // hidden / heads would silently drop the remainder of the width from every projection.
            throw new ModelConfigException(file, "hidden_size (" + hidden + ") must be a multiple of num_attention_heads ("
                    + heads + ") when head_dim is not given");
        }
        rejectIfPresentAndNot("partial_rotary_factor", 1.0);
        rejectIfTrue("attn_logit_softcapping");
        rejectIfTrue("final_logit_softcapping");
        boolean gemma = family == ModelFamily.GEMMA;
        Activation act = gemma
                ? activation(json.has("hidden_activation") && !json.get("hidden_activation").isJsonNull()
                        ? "hidden_activation" : null, "gelu_pytorch_tanh")
                : activation("hidden_act", "silu");
        boolean attentionBias = optionalBoolean("attention_bias").orElse(false);
        boolean qkvBias = family == ModelFamily.QWEN2 || attentionBias;
        boolean mlpBias = optionalBoolean("mlp_bias").orElse(false);
        OptionalInt window = OptionalInt.empty();
        if (family == ModelFamily.MISTRAL) {
            window = json.has("sliding_window") ? optionalInt("sliding_window") : OptionalInt.of(4096);
        } else if (family == ModelFamily.QWEN2 && optionalBoolean("use_sliding_window").orElse(false)) {
            throw new ModelConfigException(file, "use_sliding_window=true is not supported for qwen2 "
                    + "(its per-layer window schedule is not implemented); set it to false or use another model");
        }
        boolean tieDefault = gemma;
        double eps = optionalDouble("rms_norm_eps").orElse(1e-6);
        return new ModelSpec(
                family, hidden, layers, heads, kvHeads, headDim,
                requiredInt("intermediate_size"),
                requiredInt("vocab_size"),
                optionalInt("max_position_embeddings").orElse(gemma ? 8192 : 2048),
                gemma ? NormKind.RMS_ONE_PLUS_WEIGHT : NormKind.RMS,
                eps,
                act,
                true,
                Optional.of(new RopeSpec(optionalDouble("rope_theta").orElse(10000.0), headDim, ropeScaling())),
                qkvBias,
                attentionBias,
                mlpBias,
                window,
                gemma ? (float) Math.sqrt(hidden) : 1.0f,
                (float) (1.0 / Math.sqrt(headDim)),
                optionalBoolean("tie_word_embeddings").orElse(tieDefault));
    }

    private ModelSpec gpt2() {
        int hidden = requiredInt("n_embd");
        int heads = requiredInt("n_head");
        if (hidden % heads != 0) {
            throw new ModelConfigException(file, "n_embd (" + hidden + ") must be a multiple of n_head (" + heads + ")");
        }
        rejectIfTrue("scale_attn_by_inverse_layer_idx");
        rejectIfTrue("add_cross_attention");
        int headDim = hidden / heads;
        boolean scale = optionalBoolean("scale_attn_weights").orElse(true);
        return new ModelSpec(
                ModelFamily.GPT2, hidden, requiredInt("n_layer"), heads, heads, headDim,
                optionalInt("n_inner").orElse(4 * hidden),
                requiredInt("vocab_size"),
                optionalInt("n_positions").orElse(1024),
                NormKind.LAYER_NORM,
                optionalDouble("layer_norm_epsilon").orElse(1e-5),
                activation("activation_function", "gelu_new"),
                false,
                Optional.empty(),
                true, true, true,
                OptionalInt.empty(),
                1.0f,
                scale ? (float) (1.0 / Math.sqrt(headDim)) : 1.0f,
                optionalBoolean("tie_word_embeddings").orElse(true));
    }

    private RopeScaling ropeScaling() {
        JsonElement e = json.get("rope_scaling");
        if (e == null || e.isJsonNull()) {
            return new RopeScaling.None();
        }
        if (!e.isJsonObject()) {
            throw new ModelConfigException(file, "rope_scaling must be an object or null, got " + e);
        }
        JsonObject s = e.getAsJsonObject();
        JsonElement typeElement = s.has("rope_type") ? s.get("rope_type") : s.get("type");
        String type = typeElement == null || typeElement.isJsonNull() ? "default" : typeElement.getAsString();
        return switch (type) {
            case "default" -> new RopeScaling.None();
            case "linear" -> new RopeScaling.Linear(positive(s, "factor"));
            case "llama3" -> {
                double low = positive(s, "low_freq_factor");
                double high = positive(s, "high_freq_factor");
                if (high <= low) {
                    throw new ModelConfigException(file, "rope_scaling.high_freq_factor (" + high
                            + ") must exceed rope_scaling.low_freq_factor (" + low + ")");
                }
                yield new RopeScaling.Llama3(positive(s, "factor"), low, high,
                        (int) positive(s, "original_max_position_embeddings"));
            }
            default -> throw new ModelConfigException(file, "rope_scaling type \"" + type
                    + "\" is not supported (supported: default, linear, llama3); computing it without that scaling would give wrong activations");
        };
    }

    private double positive(JsonObject s, String key) {
        JsonElement v = s.get(key);
        if (v == null || v.isJsonNull() || !v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
            throw new ModelConfigException(file, "rope_scaling." + key + " must be a number, got " + v);
        }
        double d = v.getAsDouble();
        if (!(d > 0)) {
            throw new ModelConfigException(file, "rope_scaling." + key + " must be positive, got " + d);
        }
        return d;
    }

    private Activation activation(String key, String defaultName) {
        String name = key == null || !json.has(key) || json.get(key).isJsonNull() ? defaultName : json.get(key).getAsString();
        return switch (name) {
            case "silu", "swish" -> Activation.SILU;
            case "gelu_new", "gelu_pytorch_tanh" -> Activation.GELU_TANH;
            case "gelu" -> Activation.GELU_ERF;
            default -> throw new ModelConfigException(file, (key == null ? "activation" : key) + " \"" + name
                    + "\" is not supported (supported: silu, gelu, gelu_new, gelu_pytorch_tanh)");
        };
    }

    private void rejectIfTrue(String key) {
        JsonElement v = json.get(key);
        if (v == null || v.isJsonNull()) {
            return;
        }
        boolean set = v.isJsonPrimitive() && (v.getAsJsonPrimitive().isBoolean() ? v.getAsBoolean() : true);
        if (set) {
            throw new ModelConfigException(file, key + "=" + v + " changes the math and is not supported");
        }
    }

    private void rejectIfPresentAndNot(String key, double expected) {
        JsonElement v = json.get(key);
        if (v != null && !v.isJsonNull() && v.getAsDouble() != expected) {
            throw new ModelConfigException(file, key + "=" + v + " is not supported (only " + expected + ")");
        }
    }

    private String requiredString(String key) {
        JsonElement v = json.get(key);
        if (v == null || v.isJsonNull() || !v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
            throw new ModelConfigException(file, "missing string key \"" + key + "\", got " + v);
        }
        return v.getAsString();
    }

    private int requiredInt(String key) {
        return optionalInt(key).orElseThrow(() -> new ModelConfigException(file, "missing integer key \"" + key + "\""));
    }

    private OptionalInt optionalInt(String key) {
        JsonElement v = json.get(key);
        if (v == null || v.isJsonNull()) {
            return OptionalInt.empty();
        }
        if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
            throw new ModelConfigException(file, "\"" + key + "\" must be an integer, got " + v);
        }
        double d = v.getAsDouble();
        if (d != Math.rint(d) || d <= 0 || d > Integer.MAX_VALUE) {
            throw new ModelConfigException(file, "\"" + key + "\" must be a positive integer, got " + v);
        }
        return OptionalInt.of((int) d);
    }

    private Optional<Double> optionalDouble(String key) {
        JsonElement v = json.get(key);
        if (v == null || v.isJsonNull()) {
            return Optional.empty();
        }
        if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
            throw new ModelConfigException(file, "\"" + key + "\" must be a number, got " + v);
        }
        return Optional.of(v.getAsDouble());
    }

    private Optional<Boolean> optionalBoolean(String key) {
        JsonElement v = json.get(key);
        if (v == null || v.isJsonNull()) {
            return Optional.empty();
        }
        if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isBoolean()) {
            throw new ModelConfigException(file, "\"" + key + "\" must be true or false, got " + v);
        }
        return Optional.of(v.getAsBoolean());
    }
}
