package org.fpwap.oracle;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * An independent, deliberately naive scalar FP64 forward pass with Hugging Face semantics, used to
 * check {@link JlamaOracle}. Nothing here is shared with Jlama or with the project's own code: it
 * reads the F32 checkpoint with {@link SafetensorsF32}, widens every weight to {@code double} and
 * runs the textbook formulas token by token.
 *
 * <p>Families ({@code model_type} in {@code config.json}):
 * <ul>
 *   <li>{@code llama}, {@code mistral}: embedding lookup; per layer RMSNorm
 *       ({@code x / sqrt(mean(x²) + eps) * w}), q/k/v projections ({@code W} is {@code [out, in]}),
 *       RoPE in the rotate_half convention ({@code inv_freq_i = 1 / theta^(2i/d)},
 *       {@code emb = cat(freqs, freqs)}), grouped-query attention (KV head = q head / (nH / nKV)),
 *       causal {@code softmax(q·k / sqrt(d)) v}, o_proj, residual; post-attention RMSNorm, SwiGLU MLP
 *       {@code down(act(gate x) * up x)}, residual.</li>
 *   <li>{@code qwen2}: as llama plus q/k/v biases.</li>
 *   <li>{@code gemma}: as llama with embeddings scaled by {@code sqrt(H)}, RMSNorm weight
 *       {@code (1 + w)} and (usually) the tanh-GELU activation.</li>
 *   <li>{@code gpt2}: token + learned position embeddings; LayerNorm with bias; Conv1D weights
 *       ({@code [in, out]}, {@code y = x W + b}); fused {@code c_attn} split into q, k, v; no RoPE;
 *       MLP {@code c_proj(gelu_new(c_fc x))}.</li>
 * </ul>
 * Activations: {@code silu}, {@code gelu_pytorch_tanh}/{@code gelu_new} (tanh approximation) and
 * {@code gelu} (the exact erf form, as Hugging Face defines it).
 *
 * <p>Also honoured, written from the HF definitions (not from the project's code):
 * <ul>
 *   <li>Mistral {@code sliding_window} W: query {@code i} attends key {@code j} iff {@code j <= i} and
 *       {@code i - j < W}; the key absent means HF {@code MistralConfig}'s default 4096, {@code null} means
 *       no window.</li>
 *   <li>{@code rope_scaling} {@code linear} ({@code inv_freq / factor}) and {@code llama3} (HF
 *       {@code _compute_llama3_parameters}); any other type throws.</li>
 *   <li>GPT-2 tensor names with or without the {@code transformer.} prefix.</li>
 * </ul>
 */
public final class ReferenceForward {

    private final String family;
    private final Map<String, SafetensorsF32.Tensor> w;
    private final int hidden;
    private final int layers;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int inter;
    private final double eps;
    private final double theta;
    private final String act;
    /** Sliding window W, or {@code Integer.MAX_VALUE} for full causal attention. */
    private final int window;
    /** Per-pair inverse frequencies after {@code rope_scaling} (null for GPT-2). */
    private final double[] invFreq;
    /** GPT-2 tensor name prefix ({@code "transformer."} or empty). */
    private final String gpt2Prefix;

    private ReferenceForward(Path dir) throws IOException {
        JsonObject c = new Gson().fromJson(Files.readString(dir.resolve("config.json")), JsonObject.class);
        this.family = c.get("model_type").getAsString();
        this.w = SafetensorsF32.readModelDir(dir);
        if (family.equals("gpt2")) {
            hidden = c.get("n_embd").getAsInt();
            layers = c.get("n_layer").getAsInt();
            heads = c.get("n_head").getAsInt();
            kvHeads = heads;
            headDim = hidden / heads;
            inter = c.has("n_inner") && !c.get("n_inner").isJsonNull() ? c.get("n_inner").getAsInt() : 4 * hidden;
            eps = c.has("layer_norm_epsilon") ? c.get("layer_norm_epsilon").getAsDouble() : 1e-5;
            theta = 0;
            act = str(c, "activation_function", "gelu_new");
            window = Integer.MAX_VALUE;
            invFreq = null;
            gpt2Prefix = w.containsKey("transformer.wte.weight") ? "transformer." : "";
        } else {
            hidden = c.get("hidden_size").getAsInt();
            layers = c.get("num_hidden_layers").getAsInt();
            heads = c.get("num_attention_heads").getAsInt();
            kvHeads = c.has("num_key_value_heads") ? c.get("num_key_value_heads").getAsInt() : heads;
            headDim = c.has("head_dim") && !c.get("head_dim").isJsonNull() ? c.get("head_dim").getAsInt() : hidden / heads;
            inter = c.get("intermediate_size").getAsInt();
            eps = c.get("rms_norm_eps").getAsDouble();
            theta = c.has("rope_theta") ? c.get("rope_theta").getAsDouble() : 10000.0;
            String a = family.equals("gemma") ? str(c, "hidden_activation", null) : null;
            act = a != null ? a : str(c, "hidden_act", "silu");
            if (family.equals("mistral")) {
                JsonElement sw = c.get("sliding_window");
                window = sw == null ? 4096 : sw.isJsonNull() ? Integer.MAX_VALUE : sw.getAsInt();
            } else {
                window = Integer.MAX_VALUE;
            }
            invFreq = scaledInverseFrequencies(theta, headDim, c.get("rope_scaling"));
            gpt2Prefix = "";
        }
    }

    /**
     * {@code inv_freq_i = 1 / theta^(2i/d)}, then HF's {@code rope_scaling}: {@code linear} divides by
     * {@code factor}; {@code llama3} keeps wavelengths below {@code orig / high_freq_factor}, divides
     * those above {@code orig / low_freq_factor} by {@code factor} and blends in between with
     * {@code smooth = (orig / wavelen - low) / (high - low)}.
     */
    static double[] scaledInverseFrequencies(double theta, int dim, JsonElement scaling) {
        double[] inv = new double[dim / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = 1.0 / Math.pow(theta, (2.0 * i) / dim);
        }
        if (scaling == null || scaling.isJsonNull()) {
            return inv;
        }
        JsonObject s = scaling.getAsJsonObject();
        String type = s.has("rope_type") ? s.get("rope_type").getAsString() : s.get("type").getAsString();
        switch (type) {
            case "default" -> { }
            case "linear" -> {
                double factor = s.get("factor").getAsDouble();
                for (int i = 0; i < inv.length; i++) {
                    inv[i] = inv[i] / factor;
                }
            }
            case "llama3" -> {
                double factor = s.get("factor").getAsDouble();
                double low = s.get("low_freq_factor").getAsDouble();
                double high = s.get("high_freq_factor").getAsDouble();
                double orig = s.get("original_max_position_embeddings").getAsDouble();
                double lowFreqWavelen = orig / low;
                double highFreqWavelen = orig / high;
                for (int i = 0; i < inv.length; i++) {
                    double wavelen = 2 * Math.PI / inv[i];
                    if (wavelen < highFreqWavelen) {
                        continue;
                    }
                    if (wavelen > lowFreqWavelen) {
                        inv[i] = inv[i] / factor;
                    } else {
                        double smooth = (orig / wavelen - low) / (high - low);
                        inv[i] = (1 - smooth) * inv[i] / factor + smooth * inv[i];
                    }
                }
            }
            default -> throw new UnsupportedOperationException("rope_scaling type " + type);
        }
        return inv;
    }

    private static String str(JsonObject c, String key, String dflt) {
        JsonElement e = c.get(key);
        return e == null || e.isJsonNull() ? dflt : e.getAsString();
    }

    /** Loads the model in {@code dir} (config.json + F32 safetensors). */
    public static ReferenceForward load(Path dir) throws IOException {
        return new ReferenceForward(dir);
    }

    public int numLayers() {
        return layers;
    }

    public int hiddenSize() {
        return hidden;
    }

    /** {@code [numLayers + 1][T][H]}: embeddings, then the output of every block (no final norm). */
    public double[][][] hiddenStates(int[] ids) {
        return family.equals("gpt2") ? gpt2(ids) : llamaLike(ids);
    }

    // ---------------------------------------------------------------- llama / mistral / qwen2 / gemma

    private double[][][] llamaLike(int[] ids) {
        boolean gemma = family.equals("gemma");
        boolean qkvBias = family.equals("qwen2");
        int t = ids.length;
        double[][][] out = new double[layers + 1][][];
        double[][] x = new double[t][];
        SafetensorsF32.Tensor emb = w.get("model.embed_tokens.weight");
        double scale = gemma ? Math.sqrt(hidden) : 1.0;
        for (int i = 0; i < t; i++) {
            x[i] = new double[hidden];
            for (int h = 0; h < hidden; h++) {
                x[i][h] = emb.data()[ids[i] * hidden + h] * scale;
            }
        }
        out[0] = copy(x);
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            double[][] q = new double[t][];
            double[][] k = new double[t][];
            double[][] v = new double[t][];
            for (int i = 0; i < t; i++) {
                double[] n = rmsNorm(x[i], w.get(p + "input_layernorm.weight"), gemma);
                q[i] = linearOutIn(w.get(p + "self_attn.q_proj.weight"), n, qkvBias ? w.get(p + "self_attn.q_proj.bias") : null);
                k[i] = linearOutIn(w.get(p + "self_attn.k_proj.weight"), n, qkvBias ? w.get(p + "self_attn.k_proj.bias") : null);
                v[i] = linearOutIn(w.get(p + "self_attn.v_proj.weight"), n, qkvBias ? w.get(p + "self_attn.v_proj.bias") : null);
                rope(q[i], heads, i);
                rope(k[i], kvHeads, i);
            }
            double[][] att = attention(q, k, v, heads, kvHeads);
            for (int i = 0; i < t; i++) {
                double[] o = linearOutIn(w.get(p + "self_attn.o_proj.weight"), att[i], null);
                for (int h = 0; h < hidden; h++) {
                    x[i][h] += o[h];
                }
                double[] n = rmsNorm(x[i], w.get(p + "post_attention_layernorm.weight"), gemma);
                double[] g = linearOutIn(w.get(p + "mlp.gate_proj.weight"), n, null);
                double[] u = linearOutIn(w.get(p + "mlp.up_proj.weight"), n, null);
                for (int j = 0; j < inter; j++) {
                    g[j] = activation(g[j]) * u[j];
                }
                double[] d = linearOutIn(w.get(p + "mlp.down_proj.weight"), g, null);
                for (int h = 0; h < hidden; h++) {
                    x[i][h] += d[h];
                }
            }
            out[l + 1] = copy(x);
        }
        return out;
    }

    private double[] rmsNorm(double[] x, SafetensorsF32.Tensor weight, boolean onePlus) {
        double ss = 0;
        for (double v : x) {
            ss += v * v;
        }
        double inv = 1.0 / Math.sqrt(ss / x.length + eps);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double wi = weight.data()[i];
            y[i] = x[i] * inv * (onePlus ? 1.0 + wi : wi);
        }
        return y;
    }

    /** HF rotate_half RoPE applied in place to every head of {@code v} at position {@code pos}. */
    private void rope(double[] v, int nHeads, int pos) {
        int half = headDim / 2;
        for (int h = 0; h < nHeads; h++) {
            int o = h * headDim;
            for (int i = 0; i < half; i++) {
                double ang = pos * invFreq[i];
                double c = Math.cos(ang);
                double s = Math.sin(ang);
                double a = v[o + i];
                double b = v[o + i + half];
                v[o + i] = a * c - b * s;
                v[o + i + half] = b * c + a * s;
            }
        }
    }

    /** Causal multi-head attention with grouped KV heads; returns the concatenated head outputs. */
    private double[][] attention(double[][] q, double[][] k, double[][] v, int nHeads, int nKv) {
        int t = q.length;
        int group = nHeads / nKv;
        double scale = 1.0 / Math.sqrt(headDim);
        double[][] out = new double[t][nHeads * headDim];
        for (int i = 0; i < t; i++) {
            for (int h = 0; h < nHeads; h++) {
                int qo = h * headDim;
                int ko = (h / group) * headDim;
                int first = window == Integer.MAX_VALUE ? 0 : Math.max(0, i - window + 1);
                double[] s = new double[i + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = first; j <= i; j++) {
                    double dot = 0;
                    for (int d = 0; d < headDim; d++) {
                        dot += q[i][qo + d] * k[j][ko + d];
                    }
                    s[j] = dot * scale;
                    max = Math.max(max, s[j]);
                }
                double sum = 0;
                for (int j = first; j <= i; j++) {
                    s[j] = Math.exp(s[j] - max);
                    sum += s[j];
                }
                for (int j = first; j <= i; j++) {
                    double p = s[j] / sum;
                    for (int d = 0; d < headDim; d++) {
                        out[i][qo + d] += p * v[j][ko + d];
                    }
                }
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- gpt2

    private double[][][] gpt2(int[] ids) {
        int t = ids.length;
        double[][][] out = new double[layers + 1][][];
        double[][] x = new double[t][hidden];
        SafetensorsF32.Tensor wte = w.get(gpt2Prefix + "wte.weight");
        SafetensorsF32.Tensor wpe = w.get(gpt2Prefix + "wpe.weight");
        for (int i = 0; i < t; i++) {
            for (int h = 0; h < hidden; h++) {
                x[i][h] = (double) wte.data()[ids[i] * hidden + h] + wpe.data()[i * hidden + h];
            }
        }
        out[0] = copy(x);
        for (int l = 0; l < layers; l++) {
            String p = gpt2Prefix + "h." + l + ".";
            double[][] q = new double[t][];
            double[][] k = new double[t][];
            double[][] v = new double[t][];
            for (int i = 0; i < t; i++) {
                double[] n = layerNorm(x[i], w.get(p + "ln_1.weight"), w.get(p + "ln_1.bias"));
                double[] qkv = linearInOut(w.get(p + "attn.c_attn.weight"), n, w.get(p + "attn.c_attn.bias"));
                q[i] = java.util.Arrays.copyOfRange(qkv, 0, hidden);
                k[i] = java.util.Arrays.copyOfRange(qkv, hidden, 2 * hidden);
                v[i] = java.util.Arrays.copyOfRange(qkv, 2 * hidden, 3 * hidden);
            }
            double[][] att = attention(q, k, v, heads, heads);
            for (int i = 0; i < t; i++) {
                double[] o = linearInOut(w.get(p + "attn.c_proj.weight"), att[i], w.get(p + "attn.c_proj.bias"));
                for (int h = 0; h < hidden; h++) {
                    x[i][h] += o[h];
                }
                double[] n = layerNorm(x[i], w.get(p + "ln_2.weight"), w.get(p + "ln_2.bias"));
                double[] f = linearInOut(w.get(p + "mlp.c_fc.weight"), n, w.get(p + "mlp.c_fc.bias"));
                for (int j = 0; j < f.length; j++) {
                    f[j] = activation(f[j]);
                }
                double[] d = linearInOut(w.get(p + "mlp.c_proj.weight"), f, w.get(p + "mlp.c_proj.bias"));
                for (int h = 0; h < hidden; h++) {
                    x[i][h] += d[h];
                }
            }
            out[l + 1] = copy(x);
        }
        return out;
    }

    private double[] layerNorm(double[] x, SafetensorsF32.Tensor weight, SafetensorsF32.Tensor bias) {
        double mean = 0;
        for (double v : x) {
            mean += v;
        }
        mean /= x.length;
        double var = 0;
        for (double v : x) {
            var += (v - mean) * (v - mean);
        }
        var /= x.length;
        double inv = 1.0 / Math.sqrt(var + eps);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = (x[i] - mean) * inv * weight.data()[i] + bias.data()[i];
        }
        return y;
    }

    // ---------------------------------------------------------------- shared helpers

    /** {@code y = W x (+ b)} for a torch Linear weight {@code W[out, in]}. */
    private static double[] linearOutIn(SafetensorsF32.Tensor weight, double[] x, SafetensorsF32.Tensor bias) {
        int outDim = weight.dim(0);
        int inDim = weight.dim(1);
        if (inDim != x.length) {
            throw new IllegalArgumentException("shape mismatch " + inDim + " vs " + x.length);
        }
        float[] d = weight.data();
        double[] y = new double[outDim];
        for (int o = 0; o < outDim; o++) {
            double s = bias == null ? 0 : bias.data()[o];
            int base = o * inDim;
            for (int i = 0; i < inDim; i++) {
                s += d[base + i] * x[i];
            }
            y[o] = s;
        }
        return y;
    }

    /** {@code y = x W + b} for a GPT-2 Conv1D weight {@code W[in, out]}. */
    private static double[] linearInOut(SafetensorsF32.Tensor weight, double[] x, SafetensorsF32.Tensor bias) {
        int inDim = weight.dim(0);
        int outDim = weight.dim(1);
        if (inDim != x.length) {
            throw new IllegalArgumentException("shape mismatch " + inDim + " vs " + x.length);
        }
        float[] d = weight.data();
        double[] y = new double[outDim];
        for (int o = 0; o < outDim; o++) {
            y[o] = bias == null ? 0 : bias.data()[o];
        }
        for (int i = 0; i < inDim; i++) {
            double xi = x[i];
            int base = i * outDim;
            for (int o = 0; o < outDim; o++) {
                y[o] += xi * d[base + o];
            }
        }
        return y;
    }

    private double activation(double x) {
        return switch (act) {
            case "silu", "swish" -> x / (1.0 + Math.exp(-x));
            case "gelu_pytorch_tanh", "gelu_new", "gelu_fast" ->
                0.5 * x * (1.0 + Math.tanh(Math.sqrt(2.0 / Math.PI) * (x + 0.044715 * x * x * x)));
            case "gelu" -> 0.5 * x * (1.0 + erf(x / Math.sqrt(2.0)));
            default -> throw new UnsupportedOperationException("activation " + act);
        };
    }

    /** erf via its Maclaurin series (|x| small) or the continued fraction for erfc (|x| large). */
    static double erf(double x) {
        double ax = Math.abs(x);
        double r;
        if (ax < 3.0) {
            double term = ax;
            double sum = ax;
            double x2 = ax * ax;
            for (int n = 1; n < 200; n++) {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17 * Math.abs(sum)) {
                    break;
                }
            }
            r = 2.0 / Math.sqrt(Math.PI) * sum;
        } else {
            // Lentz continued fraction for erfc(x) = exp(-x²)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...))))
            double f = ax;
            for (int n = 60; n >= 1; n--) {
                f = ax + (n / 2.0) / f;
            }
            r = 1.0 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
        }
        return x < 0 ? -r : r;
    }

    private static double[][] copy(double[][] x) {
        double[][] c = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            c[i] = x[i].clone();
        }
        return c;
    }
}
