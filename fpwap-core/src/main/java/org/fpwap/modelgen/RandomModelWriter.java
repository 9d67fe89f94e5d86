package org.fpwap.modelgen;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.fpwap.model.LayerTensor;
import org.fpwap.model.ModelConfigReader;
import org.fpwap.model.ModelFamily;
import org.fpwap.model.ModelSpec;
import org.fpwap.model.NormKind;
import org.fpwap.model.TensorNames;
import org.fpwap.model.TensorRef;
import org.fpwap.safetensors.DType;
import org.fpwap.safetensors.MappedSafetensorsWriter;
import org.fpwap.safetensors.Widening;

/**
 * Writes a seeded random model in the Hugging Face layout ({@code config.json} plus one
 * {@code model.safetensors} or K shards and {@code model.safetensors.index.json}). Weights are scaled
 * so activations stay O(1) through many layers; each tensor's values depend only on the seed and its
 * name, so the F32 and BF16 writes of one config hold the same numbers up to rounding.
 */
public final class RandomModelWriter {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private RandomModelWriter() {}

    /** Writes the model into {@code dir} (created if absent) and returns its spec. */
    public static ModelSpec write(RandomModelConfig config, Path dir) {
        try {
            Files.createDirectories(dir);
            // Nulls are written: for some keys null means "off" where absence means a default (Mistral's window).
            String configJson = new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(configJson(config));
            Files.writeString(dir.resolve("config.json"), configJson + "\n", StandardCharsets.UTF_8);
            ModelSpec spec = ModelConfigReader.read(dir);
            List<Tensor> tensors = tensors(config, spec);
            writeShards(config, tensors, dir);
            return spec;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the model to " + dir + ": " + e.getMessage(), e);
        }
    }

    /** How one tensor's values are drawn: uniform in {@code center ± halfWidth}. */
    private record Tensor(TensorRef ref, float center, float halfWidth) {}

    private static JsonObject configJson(RandomModelConfig c) {
        JsonObject o = new JsonObject();
        String torchDtype = switch (c.dtype()) {
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            default -> "float32";
        };
        if (c.family() == ModelFamily.GPT2) {
            o.add("architectures", array("GPT2LMHeadModel"));
            o.addProperty("model_type", "gpt2");
            o.addProperty("n_embd", c.hiddenSize());
            o.addProperty("n_layer", c.numLayers());
            o.addProperty("n_head", c.numHeads());
            o.addProperty("n_positions", c.maxPositions());
            o.addProperty("n_ctx", c.maxPositions());
            o.addProperty("n_inner", c.intermediateSize());
            o.addProperty("vocab_size", c.vocabSize());
            o.addProperty("layer_norm_epsilon", 1e-5);
            o.addProperty("activation_function", "gelu_new");
            o.addProperty("tie_word_embeddings", c.tiedEmbeddings());
            o.addProperty("torch_dtype", torchDtype);
            return o;
        }
        o.add("architectures", array(FamilyDefaults.architecture(c.family())));
        o.addProperty("model_type", c.family().modelType());
        o.addProperty("hidden_size", c.hiddenSize());
        o.addProperty("intermediate_size", c.intermediateSize());
        o.addProperty("num_hidden_layers", c.numLayers());
        o.addProperty("num_attention_heads", c.numHeads());
        o.addProperty("num_key_value_heads", c.numKvHeads());
        o.addProperty("head_dim", c.headDim());
        o.addProperty("vocab_size", c.vocabSize());
        o.addProperty("max_position_embeddings", c.maxPositions());
        o.addProperty("rms_norm_eps", c.family() == ModelFamily.GEMMA ? 1e-6 : 1e-5);
        o.addProperty("rope_theta", 10000.0);
        boolean gemma = c.family() == ModelFamily.GEMMA;
        o.addProperty("hidden_act", gemma ? "gelu_pytorch_tanh" : "silu");
        if (gemma) {
            o.addProperty("hidden_activation", "gelu_pytorch_tanh");
        }
        o.addProperty("tie_word_embeddings", c.tiedEmbeddings());
        if (c.family() == ModelFamily.MISTRAL) {
            if (c.slidingWindow().isPresent()) {
                o.addProperty("sliding_window", c.slidingWindow().getAsInt());
            } else {
                o.add("sliding_window", null);
            }
        }
        if (c.ropeScalingJson() != null) {
            JsonElement scaling = JsonParser.parseString(c.ropeScalingJson());
            o.add("rope_scaling", scaling);
        }
        FamilyDefaults.addTo(c.family(), c, o);
        if (c.extraConfigJson() != null) {
            for (var e : JsonParser.parseString(c.extraConfigJson()).getAsJsonObject().entrySet()) {
                o.add(e.getKey(), e.getValue());
            }
        }
        o.addProperty("bos_token_id", 1);
        o.addProperty("eos_token_id", 2);
        o.addProperty("torch_dtype", torchDtype);
        return o;
    }

    private static JsonArray array(String value) {
        JsonArray a = new JsonArray();
        a.add(value);
        return a;
    }

    private static List<Tensor> tensors(RandomModelConfig c, ModelSpec spec) {
        boolean gpt2 = c.family() == ModelFamily.GPT2;
        TensorNames names = TensorNames.withPrefix(spec, gpt2 ? (c.gpt2Prefix() ? "transformer." : "") : "model.");
        float normCenter = spec.norm() == NormKind.RMS_ONE_PLUS_WEIGHT ? 0f : 1f;
        List<Tensor> out = new ArrayList<>();
        out.add(new Tensor(names.tokenEmbedding(), 0f, 1f));
        names.positionEmbedding().ifPresent(ref -> out.add(new Tensor(ref, 0f, 0.2f)));
        for (int layer = 0; layer < spec.numLayers(); layer++) {
            for (var e : names.layer(layer).entrySet()) {
                for (TensorRef part : e.getValue().parts()) {
                    out.add(layerTensor(e.getKey(), part, normCenter, gpt2));
                }
            }
        }
        names.finalNorm().values().stream()
                .sorted(java.util.Comparator.comparing(TensorRef::name))
                .forEach(ref -> out.add(new Tensor(ref, ref.name().endsWith("bias") ? 0f : normCenter,
                        ref.name().endsWith("bias") ? 0.05f : 0.1f)));
        if (!c.tiedEmbeddings()) {
            out.add(new Tensor(new TensorRef(names.lmHead(), new long[] {spec.vocabSize(), spec.hiddenSize()}), 0f,
                    (float) Math.sqrt(3.0 / spec.hiddenSize())));
        }
        return out;
    }

    private static Tensor layerTensor(LayerTensor role, TensorRef ref, float normCenter, boolean conv1d) {
        return switch (role) {
            case ATTN_NORM_WEIGHT, MLP_NORM_WEIGHT, Q_NORM_WEIGHT, K_NORM_WEIGHT, POST_ATTN_NORM_WEIGHT, POST_MLP_NORM_WEIGHT ->
                    new Tensor(ref, normCenter, 0.1f);
            case Q_A_NORM_WEIGHT, KV_A_NORM_WEIGHT -> new Tensor(ref, normCenter, 0.1f);
            case Q_A_BIAS, KV_A_BIAS -> new Tensor(ref, 0f, 0.05f);
            case ATTN_NORM_BIAS, MLP_NORM_BIAS, Q_BIAS, K_BIAS, V_BIAS, QKV_BIAS, O_BIAS, GATE_BIAS, UP_BIAS, DOWN_BIAS ->
                    new Tensor(ref, 0f, 0.05f);
            default -> {
                long fanIn = conv1d ? ref.shape()[0] : ref.shape()[1];
                yield new Tensor(ref, 0f, (float) Math.sqrt(3.0 / fanIn));
            }
        };
    }

    private static void writeShards(RandomModelConfig c, List<Tensor> tensors, Path dir) throws IOException {
        int shards = c.shards();
        long total = tensors.stream().mapToLong(t -> t.ref().elementCount() * c.dtype().byteSize()).sum();
        List<List<Tensor>> byShard = new ArrayList<>();
        for (int i = 0; i < shards; i++) {
            byShard.add(new ArrayList<>());
        }
        long before = 0;
        for (Tensor t : tensors) {
            int shard = (int) Math.min(shards - 1, before * shards / Math.max(1, total));
            byShard.get(shard).add(t);
            before += t.ref().elementCount() * c.dtype().byteSize();
        }
        JsonObject weightMap = new JsonObject();
        for (int i = 0; i < shards; i++) {
            String file = shards == 1 ? "model.safetensors"
                    : String.format("model-%05d-of-%05d.safetensors", i + 1, shards);
            MappedSafetensorsWriter.Builder builder = MappedSafetensorsWriter.create(dir.resolve(file)).metadata("format", "pt");
            for (Tensor t : byShard.get(i)) {
                builder.declare(t.ref().name(), c.dtype(), t.ref().shape());
                weightMap.addProperty(t.ref().name(), file);
            }
            try (MappedSafetensorsWriter writer = builder.open()) {
                for (Tensor t : byShard.get(i)) {
                    fill(writer.segment(t.ref().name()), t, c);
                }
                writer.commit();
            }
        }
        if (shards > 1) {
            JsonObject index = new JsonObject();
            JsonObject meta = new JsonObject();
            meta.addProperty("total_size", total);
            index.add("metadata", meta);
            index.add("weight_map", weightMap);
            Files.writeString(dir.resolve("model.safetensors.index.json"),
                    new GsonBuilder().setPrettyPrinting().create().toJson(index) + "\n", StandardCharsets.UTF_8);
        }
    }

    private static void fill(MemorySegment dst, Tensor t, RandomModelConfig c) {
        SplittableRandom random = new SplittableRandom(c.seed() * 0x9E3779B97F4A7C15L + t.ref().name().hashCode());
        long n = t.ref().elementCount();
        for (long i = 0; i < n; i++) {
            float v = t.center() + (float) ((random.nextDouble() * 2 - 1) * t.halfWidth());
            switch (c.dtype()) {
                case F32 -> dst.setAtIndex(F32, i, v);
                case BF16 -> dst.setAtIndex(I16, i, Widening.f32ToBf16(v));
                case F16 -> dst.setAtIndex(I16, i, Float.floatToFloat16(v));
                default -> throw new IllegalStateException("unreachable: dtype checked by RandomModelConfig");
            }
        }
    }
}
