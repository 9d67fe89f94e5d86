package org.fpwap.oracle;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.Arrays;
import java.util.Map;

/**
 * FP64 reference for Phi-3, written from HF {@code modeling_phi3.py} / {@code configuration_phi3.py} and
 * {@code modeling_rope_utils._compute_longrope_parameters} (transformers 4.48 – 5.x): pre-norm RMSNorm blocks;
 * {@code qkv_proj} rows split q | k | v; RoPE on the first {@code int(head_dim · partial_rotary_factor)} features of
 * each head (the rest pass through); {@code longrope}: {@code inv_freq_i = 1 / (ext_i · theta^(2i/dim))} with
 * {@code ext = long_factor} when the sequence is longer than {@code original_max_position_embeddings}, else
 * {@code short_factor}, and cos/sin times {@code attention_factor} (default
 * {@code sqrt(1 + ln(factor) / ln(original))}, {@code factor = max_position_embeddings / original}); every layer
 * masks keys at distance ≥ {@code sliding_window}; {@code gate_up_proj} rows split gate | up, {@code up · silu(gate)}.
 * The sequence length that selects the factors is the prompt's own (HF run on that prompt alone).
 */
final class Phi3Reference implements HookReference {

    private final Map<String, SafetensorsF32.Tensor> w;
    private final int hidden;
    private final int layers;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int inter;
    private final double eps;
    private final double theta;
    private final int rotaryDim;
    private final double[] shortFactor;
    private final double[] longFactor;
    private final int original;
    private final double attentionFactor;
    private final int window;

    Phi3Reference(JsonObject c, Map<String, SafetensorsF32.Tensor> weights) {
        this.w = weights;
        hidden = c.get("hidden_size").getAsInt();
        layers = c.get("num_hidden_layers").getAsInt();
        heads = c.get("num_attention_heads").getAsInt();
        kvHeads = c.has("num_key_value_heads") ? c.get("num_key_value_heads").getAsInt() : heads;
        headDim = has(c, "head_dim") ? c.get("head_dim").getAsInt() : hidden / heads;
        inter = c.get("intermediate_size").getAsInt();
        eps = has(c, "rms_norm_eps") ? c.get("rms_norm_eps").getAsDouble() : 1e-5;
        theta = has(c, "rope_theta") ? c.get("rope_theta").getAsDouble() : 10000.0;
        double partial = has(c, "partial_rotary_factor") ? c.get("partial_rotary_factor").getAsDouble() : 1.0;
        rotaryDim = (int) (headDim * partial);
        window = has(c, "sliding_window") ? c.get("sliding_window").getAsInt() : Integer.MAX_VALUE;
        JsonObject s = has(c, "rope_scaling") ? c.getAsJsonObject("rope_scaling") : null;
        if (s == null) {
            shortFactor = ones(rotaryDim / 2);
            longFactor = shortFactor;
            original = Integer.MAX_VALUE;
            attentionFactor = 1.0;
        } else {
            shortFactor = doubles(s.getAsJsonArray("short_factor"));
            longFactor = doubles(s.getAsJsonArray("long_factor"));
            original = c.get("original_max_position_embeddings").getAsInt();
            double factor = c.get("max_position_embeddings").getAsDouble() / original;
            attentionFactor = factor <= 1.0 ? 1.0 : Math.sqrt(1 + Math.log(factor) / Math.log(original));
        }
    }

    private static boolean has(JsonObject c, String key) {
        JsonElement e = c.get(key);
        return e != null && !e.isJsonNull();
    }

    private static double[] ones(int n) {
        double[] d = new double[n];
        Arrays.fill(d, 1.0);
        return d;
    }

    private static double[] doubles(JsonArray a) {
        double[] d = new double[a.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = a.get(i).getAsDouble();
        }
        return d;
    }

    private float[] t(String name) {
        return w.get(name).data();
    }

    @Override
    public double[][][][] hooks(int[] ids) {
        int n = ids.length;
        double[] ext = n > original ? longFactor : shortFactor;
        double[] invFreq = new double[rotaryDim / 2];
        for (int i = 0; i < invFreq.length; i++) {
            invFreq[i] = 1.0 / (ext[i] * Math.pow(theta, (2.0 * i) / rotaryDim));
        }
        float[] emb = t("model.embed_tokens.weight");
        double[][] x = new double[n][hidden];
        for (int i = 0; i < n; i++) {
            for (int h = 0; h < hidden; h++) {
                x[i][h] = emb[ids[i] * hidden + h];
            }
        }
        int qw = heads * headDim;
        int kvw = kvHeads * headDim;
        double[][][][] out = new double[layers][4][][];
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            out[l][RESIDUAL_PRE] = RefMath.copy(x);
            double[][] q = new double[n][];
            double[][] k = new double[n][];
            double[][] v = new double[n][];
            for (int i = 0; i < n; i++) {
                double[] in = RefMath.rmsNorm(x[i], t(p + "input_layernorm.weight"), eps, false);
                double[] qkv = RefMath.linear(t(p + "self_attn.qkv_proj.weight"), qw + 2 * kvw, hidden, in, null);
                q[i] = Arrays.copyOfRange(qkv, 0, qw);
                k[i] = Arrays.copyOfRange(qkv, qw, qw + kvw);
                v[i] = Arrays.copyOfRange(qkv, qw + kvw, qw + 2 * kvw);
                RefMath.rope(q[i], heads, headDim, i, invFreq, attentionFactor);
                RefMath.rope(k[i], kvHeads, headDim, i, invFreq, attentionFactor);
            }
            double[][] att = RefMath.attention(q, k, v, heads, kvHeads, headDim, headDim, 1.0 / Math.sqrt(headDim), window, 0);
            double[][] attnOut = new double[n][];
            double[][] mlpOut = new double[n][];
            for (int i = 0; i < n; i++) {
                attnOut[i] = RefMath.linear(t(p + "self_attn.o_proj.weight"), hidden, qw, att[i], null);
                double[] mid = RefMath.add(x[i], attnOut[i]);
                double[] in = RefMath.rmsNorm(mid, t(p + "post_attention_layernorm.weight"), eps, false);
                double[] gateUp = RefMath.linear(t(p + "mlp.gate_up_proj.weight"), 2 * inter, hidden, in, null);
                double[] inner = new double[inter];
                for (int j = 0; j < inter; j++) {
                    inner[j] = gateUp[inter + j] * RefMath.activation("silu", gateUp[j]);
                }
                mlpOut[i] = RefMath.linear(t(p + "mlp.down_proj.weight"), hidden, inter, inner, null);
                x[i] = RefMath.add(mid, mlpOut[i]);
            }
            out[l][ATTN_OUT] = attnOut;
            out[l][MLP_OUT] = mlpOut;
            out[l][RESIDUAL_POST] = RefMath.copy(x);
        }
        return out;
    }
}
