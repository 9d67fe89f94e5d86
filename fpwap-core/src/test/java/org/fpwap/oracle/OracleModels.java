package org.fpwap.oracle;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Test-only generator of small seeded random F32 checkpoints in the Hugging Face layout
 * ({@code config.json} + {@code model.safetensors}, optionally sharded with
 * {@code model.safetensors.index.json}) for the families the Jlama oracle supports.
 *
 * <p>Sizes respect Jlama 0.8.4's limits (FACTS.md): hidden 64, heads × head_dim = 64, intermediate
 * a multiple of 16, head_dim 16 (a multiple of the 16 AVX-512 float lanes), Gemma's H = 64 so that
 * its BF16-rounded √H is exact. Weights: projections ~ N(0, 1/fan_in) so every block changes the
 * residual stream substantially; embeddings ~ N(0, 1); RMSNorm/LayerNorm weights 1 ± 0.1 (Gemma:
 * ±0.1 around 0, as it uses {@code 1 + w}); biases ~ N(0, 0.1).
 */
final class OracleModels {

    /** A model family with its Hugging Face {@code model_type}. */
    enum Family {
        LLAMA("llama"),
        MISTRAL("mistral"),
        QWEN2("qwen2"),
        GEMMA("gemma"),
        GPT2("gpt2");

        final String modelType;

        Family(String modelType) {
            this.modelType = modelType;
        }
    }

    /** Sizes of a generated model; {@code inter} is ignored for GPT-2 (always 4H). */
    record Spec(Family family, int hidden, int layers, int heads, int kvHeads, int headDim, int inter, int vocab, int maxPos, double ropeTheta) {

        /** The default small model of each family (GQA for llama/mistral/gemma, MHA for qwen2/gpt2). */
        static Spec of(Family f) {
            return switch (f) {
                case LLAMA -> new Spec(f, 64, 3, 4, 2, 16, 128, 96, 128, 10000.0);
                case MISTRAL -> new Spec(f, 64, 2, 4, 1, 16, 96, 96, 128, 1000000.0);
                case QWEN2 -> new Spec(f, 64, 2, 4, 4, 16, 96, 96, 128, 10000.0);
                case GEMMA -> new Spec(f, 64, 2, 4, 1, 16, 128, 96, 128, 10000.0);
                case GPT2 -> new Spec(f, 64, 2, 4, 4, 16, 256, 96, 128, 0);
            };
        }

        Spec withTheta(double theta) {
            return new Spec(family, hidden, layers, heads, kvHeads, headDim, inter, vocab, maxPos, theta);
        }

        Spec withHeads(int newHeads, int newKvHeads, int newHeadDim) {
            return new Spec(family, hidden, layers, newHeads, newKvHeads, newHeadDim, inter, vocab, maxPos, ropeTheta);
        }
    }

    private OracleModels() {}

    /** Writes {@code spec} into {@code dir} (created if needed) as one safetensors file. */
    static Path write(Path dir, Spec spec, long seed) throws IOException {
        return write(dir, spec, seed, 1);
    }

    /** Writes {@code spec} into {@code dir}; {@code shards > 1} splits the tensors over several files plus an index. */
    static Path write(Path dir, Spec spec, long seed, int shards) throws IOException {
        Files.createDirectories(dir);
        Map<String, SafetensorsF32.Tensor> t = spec.family() == Family.GPT2 ? gpt2Weights(spec, seed) : llamaWeights(spec, seed);
        Files.writeString(dir.resolve("config.json"), new GsonBuilder().setPrettyPrinting().create().toJson(config(spec)));
        if (shards <= 1) {
            SafetensorsF32.write(dir.resolve("model.safetensors"), t);
            return dir;
        }
        List<Map<String, SafetensorsF32.Tensor>> parts = new ArrayList<>();
        for (int i = 0; i < shards; i++) {
            parts.add(new LinkedHashMap<>());
        }
        int i = 0;
        for (Map.Entry<String, SafetensorsF32.Tensor> e : t.entrySet()) {
            parts.get(i++ * shards / t.size()).put(e.getKey(), e.getValue());
        }
        JsonObject weightMap = new JsonObject();
        long total = 0;
        for (int s = 0; s < shards; s++) {
            String name = String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
            SafetensorsF32.write(dir.resolve(name), parts.get(s));
            for (Map.Entry<String, SafetensorsF32.Tensor> e : parts.get(s).entrySet()) {
                weightMap.addProperty(e.getKey(), name);
                total += 4L * e.getValue().data().length;
            }
        }
        JsonObject index = new JsonObject();
        JsonObject meta = new JsonObject();
        meta.addProperty("total_size", total);
        index.add("metadata", meta);
        index.add("weight_map", weightMap);
        Files.writeString(dir.resolve("model.safetensors.index.json"), index.toString());
        return dir;
    }

    static JsonObject config(Spec s) {
        JsonObject c = new JsonObject();
        c.addProperty("model_type", s.family().modelType);
        c.addProperty("vocab_size", s.vocab());
        c.addProperty("bos_token_id", 1);
        c.addProperty("eos_token_id", 2);
        c.addProperty("torch_dtype", "float32");
        if (s.family() == Family.GPT2) {
            c.add("architectures", arr("GPT2LMHeadModel"));
            c.addProperty("n_embd", s.hidden());
            c.addProperty("n_head", s.heads());
            c.addProperty("n_layer", s.layers());
            c.addProperty("n_ctx", s.maxPos()); // Jlama reads n_ctx
            c.addProperty("n_positions", s.maxPos()); // Hugging Face reads n_positions
            c.addProperty("layer_norm_epsilon", 1e-5);
            c.addProperty("activation_function", "gelu_new");
            return c;
        }
        c.add("architectures", arr(switch (s.family()) {
            case LLAMA -> "LlamaForCausalLM";
            case MISTRAL -> "MistralForCausalLM";
            case QWEN2 -> "Qwen2ForCausalLM";
            case GEMMA -> "GemmaForCausalLM";
            case GPT2 -> throw new AssertionError();
        }));
        c.addProperty("hidden_size", s.hidden());
        c.addProperty("intermediate_size", s.inter());
        c.addProperty("num_hidden_layers", s.layers());
        c.addProperty("num_attention_heads", s.heads());
        c.addProperty("num_key_value_heads", s.kvHeads());
        c.addProperty("head_dim", s.headDim());
        c.addProperty("max_position_embeddings", s.maxPos());
        c.addProperty("rms_norm_eps", s.family() == Family.GEMMA ? 1e-6 : 1e-5);
        c.addProperty("rope_theta", s.ropeTheta());
        c.addProperty("tie_word_embeddings", true);
        if (s.family() == Family.GEMMA) {
            c.addProperty("hidden_act", "gelu_pytorch_tanh"); // Jlama reads hidden_act
            c.addProperty("hidden_activation", "gelu_pytorch_tanh"); // Hugging Face reads hidden_activation
        } else {
            c.addProperty("hidden_act", "silu");
        }
        return c;
    }

    private static com.google.gson.JsonArray arr(String v) {
        com.google.gson.JsonArray a = new com.google.gson.JsonArray();
        a.add(v);
        return a;
    }

    private static Map<String, SafetensorsF32.Tensor> llamaWeights(Spec s, long seed) {
        Random r = new Random(seed);
        int h = s.hidden();
        int q = s.heads() * s.headDim();
        int kv = s.kvHeads() * s.headDim();
        boolean gemma = s.family() == Family.GEMMA;
        Map<String, SafetensorsF32.Tensor> t = new LinkedHashMap<>();
        t.put("model.embed_tokens.weight", gaussian(r, 1.0, s.vocab(), h));
        for (int l = 0; l < s.layers(); l++) {
            String p = "model.layers." + l + ".";
            t.put(p + "input_layernorm.weight", norm(r, gemma, h));
            t.put(p + "self_attn.q_proj.weight", gaussian(r, 1 / Math.sqrt(h), q, h));
            t.put(p + "self_attn.k_proj.weight", gaussian(r, 1 / Math.sqrt(h), kv, h));
            t.put(p + "self_attn.v_proj.weight", gaussian(r, 1 / Math.sqrt(h), kv, h));
            if (s.family() == Family.QWEN2) {
                t.put(p + "self_attn.q_proj.bias", gaussian(r, 0.1, q));
                t.put(p + "self_attn.k_proj.bias", gaussian(r, 0.1, kv));
                t.put(p + "self_attn.v_proj.bias", gaussian(r, 0.1, kv));
            }
            t.put(p + "self_attn.o_proj.weight", gaussian(r, 1 / Math.sqrt(q), h, q));
            t.put(p + "post_attention_layernorm.weight", norm(r, gemma, h));
            t.put(p + "mlp.gate_proj.weight", gaussian(r, 1 / Math.sqrt(h), s.inter(), h));
            t.put(p + "mlp.up_proj.weight", gaussian(r, 1 / Math.sqrt(h), s.inter(), h));
            t.put(p + "mlp.down_proj.weight", gaussian(r, 1 / Math.sqrt(s.inter()), h, s.inter()));
        }
        t.put("model.norm.weight", norm(r, gemma, h));
        return t;
    }

    private static Map<String, SafetensorsF32.Tensor> gpt2Weights(Spec s, long seed) {
        Random r = new Random(seed);
        int h = s.hidden();
        int f = 4 * h;
        Map<String, SafetensorsF32.Tensor> t = new LinkedHashMap<>();
        t.put("wte.weight", gaussian(r, 1.0, s.vocab(), h));
        t.put("wpe.weight", gaussian(r, 0.5, s.maxPos(), h));
        for (int l = 0; l < s.layers(); l++) {
            String p = "h." + l + ".";
            t.put(p + "ln_1.weight", norm(r, false, h));
            t.put(p + "ln_1.bias", gaussian(r, 0.1, h));
            t.put(p + "attn.c_attn.weight", gaussian(r, 1 / Math.sqrt(h), h, 3 * h));
            t.put(p + "attn.c_attn.bias", gaussian(r, 0.1, 3 * h));
            t.put(p + "attn.c_proj.weight", gaussian(r, 1 / Math.sqrt(h), h, h));
            t.put(p + "attn.c_proj.bias", gaussian(r, 0.1, h));
            t.put(p + "ln_2.weight", norm(r, false, h));
            t.put(p + "ln_2.bias", gaussian(r, 0.1, h));
            t.put(p + "mlp.c_fc.weight", gaussian(r, 1 / Math.sqrt(h), h, f));
            t.put(p + "mlp.c_fc.bias", gaussian(r, 0.1, f));
            t.put(p + "mlp.c_proj.weight", gaussian(r, 1 / Math.sqrt(f), f, h));
            t.put(p + "mlp.c_proj.bias", gaussian(r, 0.1, h));
        }
        t.put("ln_f.weight", norm(r, false, h));
        t.put("ln_f.bias", gaussian(r, 0.1, h));
        return t;
    }

    private static SafetensorsF32.Tensor gaussian(Random r, double std, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * std);
        }
        return new SafetensorsF32.Tensor(shape, v);
    }

    private static SafetensorsF32.Tensor norm(Random r, boolean zeroCentred, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((zeroCentred ? 0.0 : 1.0) + 0.1 * r.nextGaussian());
        }
        return new SafetensorsF32.Tensor(new long[] {n}, v);
    }
}
