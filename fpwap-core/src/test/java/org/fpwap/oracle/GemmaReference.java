package org.fpwap.oracle;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.Map;

/**
 * FP64 reference for Gemma 2 and Gemma 3's text model, written from transformers' {@code modeling_gemma2.py} /
 * {@code configuration_gemma2.py} (4.42 – 5.x) and {@code modeling_gemma3.py} / {@code configuration_gemma3.py}
 * (4.50 – 5.x), never from fpwap's forward:
 * <ul>
 *   <li>embeddings × {@code hidden_size**0.5} as an FP32 tensor (HF's {@code normalizer} / {@code embed_scale} in an
 *       FP32 run); every RMSNorm is {@code x / sqrt(mean(x²) + eps) * (1 + w)};</li>
 *   <li>block: {@code h = x + post_attention_layernorm(attn(input_layernorm(x)))},
 *       {@code out = h + post_feedforward_layernorm(mlp(pre_feedforward_layernorm(h)))}; MLP
 *       {@code down(act(gate x) * up x)} with {@code hidden_activation} (default {@code gelu_pytorch_tanh});</li>
 *   <li>attention: q/k/v projections ({@code attention_bias}), Gemma 3 only: {@code q_norm}/{@code k_norm} over each
 *       head's {@code head_dim} before RoPE; rotate_half RoPE; scores × {@code query_pre_attn_scalar**-0.5}; Gemma 2
 *       only: {@code cap · tanh(s / cap)} with {@code attn_logit_softcapping} (absent → 50.0, null → none); Gemma 3
 *       never soft-caps; sliding layers see keys {@code j > i - sliding_window} (absent → 4096, null → none);</li>
 *   <li>layer types: {@code layer_types} if given; else Gemma 2: even layers slide ({@code not layer_idx % 2});
 *       Gemma 3: layer {@code i} slides unless {@code (i + 1) % sliding_window_pattern == 0} (default 6);</li>
 *   <li>RoPE: Gemma 2 one table ({@code rope_theta} default 10⁴ or a flat 5.x {@code rope_parameters}); Gemma 3
 *       global layers {@code rope_theta} (default 10⁶) with {@code rope_scaling} (linear only here), local layers
 *       {@code rope_local_base_freq} (default 10⁴) unscaled, or the 5.x {@code rope_parameters} entries
 *       {@code full_attention} / {@code sliding_attention}.</li>
 * </ul>
 * Defaults for absent dims as the config classes: {@code head_dim} 256, {@code num_key_value_heads} 4, eps 1e-6.
 */
final class GemmaReference implements HookReference {

    private final boolean gemma3;
    private final Map<String, SafetensorsF32.Tensor> w;
    private final int hidden;
    private final int layers;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final double eps;
    private final String act;
    private final double scale;
    private final double softcap;
    private final int window;
    private final boolean[] sliding;
    private final double[] globalInvFreq;
    private final double[] localInvFreq;

    GemmaReference(JsonObject c, Map<String, SafetensorsF32.Tensor> weights) {
        this.gemma3 = c.get("model_type").getAsString().equals("gemma3_text");
        this.w = weights;
        this.hidden = c.get("hidden_size").getAsInt();
        this.layers = c.get("num_hidden_layers").getAsInt();
        this.heads = c.get("num_attention_heads").getAsInt();
        this.kvHeads = has(c, "num_key_value_heads") ? c.get("num_key_value_heads").getAsInt() : 4;
        this.headDim = has(c, "head_dim") ? c.get("head_dim").getAsInt() : 256;
        this.eps = has(c, "rms_norm_eps") ? c.get("rms_norm_eps").getAsDouble() : 1e-6;
        this.act = has(c, "hidden_activation") ? c.get("hidden_activation").getAsString() : "gelu_pytorch_tanh";
        double scalar = has(c, "query_pre_attn_scalar") ? c.get("query_pre_attn_scalar").getAsDouble() : 256;
        this.scale = Math.pow(scalar, -0.5);
        if (gemma3) {
            this.softcap = 0;
        } else if (!c.has("attn_logit_softcapping")) {
            this.softcap = 50.0;
        } else {
            this.softcap = has(c, "attn_logit_softcapping") ? c.get("attn_logit_softcapping").getAsDouble() : 0;
        }
        if (!c.has("sliding_window")) {
            this.window = 4096;
        } else {
            this.window = has(c, "sliding_window") ? c.get("sliding_window").getAsInt() : Integer.MAX_VALUE;
        }
        this.sliding = new boolean[layers];
        int pattern = has(c, "sliding_window_pattern") ? c.get("sliding_window_pattern").getAsInt() : 6;
        for (int i = 0; i < layers; i++) {
            if (has(c, "layer_types")) {
                sliding[i] = c.getAsJsonArray("layer_types").get(i).getAsString().equals("sliding_attention");
            } else {
                sliding[i] = gemma3 ? (i + 1) % pattern != 0 : i % 2 == 0;
            }
        }
        if (gemma3) {
            JsonObject p = has(c, "rope_parameters") ? c.getAsJsonObject("rope_parameters") : null;
            double topTheta = has(c, "rope_theta") ? c.get("rope_theta").getAsDouble() : 1_000_000.0;
            double localTheta = has(c, "rope_local_base_freq") ? c.get("rope_local_base_freq").getAsDouble() : 10_000.0;
            JsonObject full = p != null ? obj(p, "full_attention") : has(c, "rope_scaling") ? c.getAsJsonObject("rope_scaling") : null;
            JsonObject local = p != null ? obj(p, "sliding_attention") : null;
            this.globalInvFreq = invFreq(full != null && has(full, "rope_theta") ? full.get("rope_theta").getAsDouble() : topTheta, full);
            this.localInvFreq = invFreq(local != null && has(local, "rope_theta") ? local.get("rope_theta").getAsDouble() : localTheta,
                    local);
        } else {
            JsonObject p = has(c, "rope_parameters") ? c.getAsJsonObject("rope_parameters") : null;
            JsonObject s = p != null ? p : has(c, "rope_scaling") ? c.getAsJsonObject("rope_scaling") : null;
            double theta = p != null && has(p, "rope_theta") ? p.get("rope_theta").getAsDouble()
                    : has(c, "rope_theta") ? c.get("rope_theta").getAsDouble() : 10_000.0;
            this.globalInvFreq = invFreq(theta, s);
            this.localInvFreq = globalInvFreq;
        }
    }

    private static JsonObject obj(JsonObject o, String key) {
        return has(o, key) ? o.getAsJsonObject(key) : null;
    }

    /** HF's default inverse frequencies, divided by {@code factor} for {@code linear} scaling. */
    private double[] invFreq(double theta, JsonObject scaling) {
        double[] inv = RefMath.inverseFrequencies(theta, headDim);
        String type = scaling == null ? "default"
                : has(scaling, "rope_type") ? scaling.get("rope_type").getAsString()
                : has(scaling, "type") ? scaling.get("type").getAsString() : "default";
        switch (type) {
            case "default" -> { }
            case "linear" -> {
                double factor = scaling.get("factor").getAsDouble();
                for (int i = 0; i < inv.length; i++) {
                    inv[i] /= factor;
                }
            }
            default -> throw new UnsupportedOperationException("this reference computes default and linear RoPE only, not " + type);
        }
        return inv;
    }

    private static boolean has(JsonObject c, String key) {
        JsonElement e = c.get(key);
        return e != null && !e.isJsonNull();
    }

    private float[] t(String name) {
        SafetensorsF32.Tensor tensor = w.get(name);
        if (tensor == null) {
            throw new IllegalArgumentException("reference: tensor " + name + " missing");
        }
        return tensor.data();
    }

    private SafetensorsF32.Tensor tensor(String name) {
        return w.get(name);
    }

    private double[] norm(double[] x, String name) {
        return RefMath.rmsNorm(x, t(name), eps, true);
    }

    @Override
    public double[][][][] hooks(int[] ids) {
        int n = ids.length;
        float[] emb = t("model.embed_tokens.weight");
        double normalizer = (float) Math.sqrt(hidden);
        double[][] x = new double[n][hidden];
        for (int i = 0; i < n; i++) {
            for (int h = 0; h < hidden; h++) {
                x[i][h] = emb[ids[i] * hidden + h] * normalizer;
            }
        }
        double[][][][] out = new double[layers][4][][];
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            String a = p + "self_attn.";
            out[l][RESIDUAL_PRE] = RefMath.copy(x);
            double[] inv = sliding[l] ? localInvFreq : globalInvFreq;
            double[][] q = new double[n][];
            double[][] k = new double[n][];
            double[][] v = new double[n][];
            for (int i = 0; i < n; i++) {
                double[] in = norm(x[i], p + "input_layernorm.weight");
                q[i] = RefMath.linear(tensor(a + "q_proj.weight"), in, tensor(a + "q_proj.bias"));
                k[i] = RefMath.linear(tensor(a + "k_proj.weight"), in, tensor(a + "k_proj.bias"));
                v[i] = RefMath.linear(tensor(a + "v_proj.weight"), in, tensor(a + "v_proj.bias"));
                if (gemma3) {
                    q[i] = RefMath.rmsNormEach(q[i], headDim, t(a + "q_norm.weight"), eps, true);
                    k[i] = RefMath.rmsNormEach(k[i], headDim, t(a + "k_norm.weight"), eps, true);
                }
                RefMath.rope(q[i], heads, headDim, i, inv, 1.0);
                RefMath.rope(k[i], kvHeads, headDim, i, inv, 1.0);
            }
            double[][] att = RefMath.attention(q, k, v, heads, kvHeads, headDim, headDim, scale,
                    sliding[l] ? window : Integer.MAX_VALUE, softcap);
            double[][] attnOut = new double[n][];
            double[][] mlpOut = new double[n][];
            for (int i = 0; i < n; i++) {
                double[] o = RefMath.linear(tensor(a + "o_proj.weight"), att[i], tensor(a + "o_proj.bias"));
                attnOut[i] = norm(o, p + "post_attention_layernorm.weight");
                double[] mid = RefMath.add(x[i], attnOut[i]);
                double[] in = norm(mid, p + "pre_feedforward_layernorm.weight");
                double[] g = RefMath.linear(tensor(p + "mlp.gate_proj.weight"), in, null);
                double[] u = RefMath.linear(tensor(p + "mlp.up_proj.weight"), in, null);
                for (int j = 0; j < g.length; j++) {
                    g[j] = RefMath.activation(act, g[j]) * u[j];
                }
                mlpOut[i] = norm(RefMath.linear(tensor(p + "mlp.down_proj.weight"), g, null),
                        p + "post_feedforward_layernorm.weight");
                x[i] = RefMath.add(mid, mlpOut[i]);
            }
            out[l][ATTN_OUT] = attnOut;
            out[l][MLP_OUT] = mlpOut;
            out[l][RESIDUAL_POST] = RefMath.copy(x);
        }
        return out;
    }
}
