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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import org.fpwap.io.JsonErrors;

/**
 * Reads a Hugging Face {@code config.json} into a {@link ModelSpec}. Defaults follow the HF config
 * classes of each family; options that change the math and that we do not compute (for example
 * {@code rope_scaling} of type {@code yarn}) are rejected with the key and the value, never ignored.
 */
public final class ModelConfigReader {

    private final Path file;
    private final ConfigFields c;

    private ModelConfigReader(Path file, JsonObject json) {
        this.file = file;
        this.c = new ConfigFields(file, json);
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
        String modelType = c.requiredString("model_type");
        if (modelType.equals(Gemma3Config.MULTIMODAL_MODEL_TYPE)) {
            return Gemma3Config.readMultimodal(c);
        }
        ModelFamily family = ModelFamily.fromModelType(modelType).orElseThrow(() -> new ModelConfigException(file,
                "model_type \"" + modelType + "\" is not supported; supported: " + ModelFamily.supportedList()));
        return switch (family) {
            case LLAMA, MISTRAL, QWEN2, GEMMA -> llamaLike(family);
            case GPT2 -> gpt2();
            case QWEN3 -> Qwen3Config.read(c);
            case OLMO2 -> Olmo2Config.read(c);
            case PHI3 -> Phi3Config.read(c);
            case GEMMA2 -> Gemma2Config.read(c);
            case GEMMA3_TEXT -> Gemma3Config.read(c);
            case MIXTRAL -> MixtralConfig.read(c);
            case QWEN2_MOE -> Qwen2MoeConfig.read(c);
            case DEEPSEEK_V2 -> DeepseekV2Config.read(c);
        };
    }

    private ModelSpec llamaLike(ModelFamily family) {
        boolean gemma = family == ModelFamily.GEMMA;
        DecoderConfig d = DecoderConfig.read(c, gemma ? OptionalInt.of(256) : OptionalInt.empty(), 1e-6, gemma ? 8192 : 2048,
                gemma);
        c.rejectIfPresentAndNot("partial_rotary_factor", 1.0);
        c.rejectIfTrue("attn_logit_softcapping");
        c.rejectIfTrue("final_logit_softcapping");
        Activation act = gemma
                ? c.activation("hidden_activation", "gelu_pytorch_tanh")
                : c.activation("hidden_act", "silu");
        boolean attentionBias = c.optionalBoolean("attention_bias").orElse(false);
        boolean qkvBias = family == ModelFamily.QWEN2 || attentionBias;
        boolean mlpBias = c.optionalBoolean("mlp_bias").orElse(false);
        OptionalInt window = OptionalInt.empty();
        if (family == ModelFamily.MISTRAL) {
            // The key absent means MistralConfig's default 4096; an explicit null means no window.
            window = c.present("sliding_window") ? c.optionalInt("sliding_window") : OptionalInt.of(4096);
        } else if (family == ModelFamily.QWEN2 && c.optionalBoolean("use_sliding_window").orElse(false)) {
            throw new ModelConfigException(file, "use_sliding_window=true is not supported for qwen2 "
                    + "(its per-layer window schedule is not implemented); set it to false or use another model");
        }
        RopeSpec rope = RopeConfig.read(c, d.headDim(), 10000.0);
        AttentionSpec.Standard base = d.attention(rope, window);
        AttentionSpec.Standard attention = new AttentionSpec.Standard(base.numHeads(), base.numKvHeads(), base.headDim(),
                base.projections(), qkvBias, attentionBias, QkNorm.NONE, window, base.rope(), base.scale(), base.softcap());
        MlpSpec.Dense mlp = new MlpSpec.Dense(d.intermediate(), act, true, mlpBias, MlpSpec.MlpStorage.SEPARATE);
        return d.spec(family, gemma ? NormKind.RMS_ONE_PLUS_WEIGHT : NormKind.RMS, act,
                gemma ? (float) Math.sqrt(d.hidden()) : 1.0f,
                d.layerSpecs(i -> new LayerSpec(i, NormPlacement.PRE, attention, mlp)));
    }

    private ModelSpec gpt2() {
        int hidden = c.requiredInt("n_embd");
        int heads = c.requiredInt("n_head");
        if (hidden % heads != 0) {
            throw new ModelConfigException(file, "n_embd (" + hidden + ") must be a multiple of n_head (" + heads + ")");
        }
        c.rejectIfTrue("scale_attn_by_inverse_layer_idx");
        c.rejectIfTrue("add_cross_attention");
        int headDim = hidden / heads;
        int layers = c.requiredInt("n_layer");
        int inner = c.optionalInt("n_inner").orElse(4 * hidden);
        boolean scale = c.optionalBoolean("scale_attn_weights").orElse(true);
        float attentionScale = scale ? (float) (1.0 / Math.sqrt(headDim)) : 1.0f;
        Activation act = c.activation("activation_function", "gelu_new");
        AttentionSpec.Standard attention = new AttentionSpec.Standard(heads, heads, headDim,
                AttentionSpec.QkvProjections.FUSED_CONV1D, true, true, QkNorm.NONE, OptionalInt.empty(), Optional.empty(),
                attentionScale, OptionalDouble.empty());
        MlpSpec.Dense mlp = new MlpSpec.Dense(inner, act, false, true, MlpSpec.MlpStorage.CONV1D);
        List<LayerSpec> specs = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            specs.add(new LayerSpec(i, NormPlacement.PRE, attention, mlp));
        }
        return new ModelSpec(
                ModelFamily.GPT2, hidden, layers, heads, heads, headDim,
                inner,
                c.requiredInt("vocab_size"),
                c.optionalInt("n_positions").orElse(1024),
                NormKind.LAYER_NORM,
                c.optionalDouble("layer_norm_epsilon").orElse(1e-5),
                act,
                false,
                Optional.empty(),
                true, true, true,
                OptionalInt.empty(),
                1.0f,
                attentionScale,
                c.optionalBoolean("tie_word_embeddings").orElse(true),
                specs);
    }
}
