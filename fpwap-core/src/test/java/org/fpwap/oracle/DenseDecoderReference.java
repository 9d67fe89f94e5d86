package org.fpwap.oracle;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.Map;

/**
 * FP64 reference for Llama and the Llama descendants that change only norms: written from HF
 * {@code modeling_llama.py}, {@code modeling_qwen3.py} (transformers 4.51+: RMSNorm over each head's
 * {@code head_dim} on q and k after the projections, before RoPE; {@code head_dim} default 128) and
 * {@code modeling_olmo2.py} (transformers 4.47+: no input norms; RMSNorm over the whole projected q and k
 * widths before the head split; {@code post_attention_layernorm} and {@code post_feedforward_layernorm} on
 * the sub-layer outputs before each residual add; eps default 1e-5). Full attention only; RoPE without scaling.
 */
final class DenseDecoderReference implements HookReference {

    private final String family;
    private final Map<String, SafetensorsF32.Tensor> w;
    private final int hidden;
    private final int layers;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final double eps;
    private final String act;
    private final double[] invFreq;

    DenseDecoderReference(JsonObject c, Map<String, SafetensorsF32.Tensor> weights) {
        this.family = c.get("model_type").getAsString();
        this.w = weights;
        this.hidden = c.get("hidden_size").getAsInt();
        this.layers = c.get("num_hidden_layers").getAsInt();
        this.heads = c.get("num_attention_heads").getAsInt();
        this.kvHeads = c.has("num_key_value_heads") ? c.get("num_key_value_heads").getAsInt() : heads;
        int defaultHeadDim = family.equals("qwen3") ? 128 : hidden / heads;
        this.headDim = has(c, "head_dim") ? c.get("head_dim").getAsInt() : defaultHeadDim;
        this.eps = has(c, "rms_norm_eps") ? c.get("rms_norm_eps").getAsDouble() : family.equals("olmo2") ? 1e-5 : 1e-6;
        this.act = has(c, "hidden_act") ? c.get("hidden_act").getAsString() : "silu";
        double theta = has(c, "rope_theta") ? c.get("rope_theta").getAsDouble() : 10000.0;
        if (has(c, "rope_scaling") || has(c, "layer_types") && c.toString().contains("sliding_attention")) {
            throw new UnsupportedOperationException("this reference computes plain RoPE and full attention only");
        }
        this.invFreq = RefMath.inverseFrequencies(theta, headDim);
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

    @Override
    public double[][][][] hooks(int[] ids) {
        boolean olmo2 = family.equals("olmo2");
        boolean qwen3 = family.equals("qwen3");
        int n = ids.length;
        float[] emb = t("model.embed_tokens.weight");
        double[][] x = new double[n][hidden];
        for (int i = 0; i < n; i++) {
            for (int h = 0; h < hidden; h++) {
                x[i][h] = emb[ids[i] * hidden + h];
            }
        }
        double[][][][] out = new double[layers][4][][];
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            out[l][RESIDUAL_PRE] = RefMath.copy(x);
            double[][] q = new double[n][];
            double[][] k = new double[n][];
            double[][] v = new double[n][];
            for (int i = 0; i < n; i++) {
                double[] in = olmo2 ? x[i] : RefMath.rmsNorm(x[i], t(p + "input_layernorm.weight"), eps, false);
                q[i] = RefMath.linear(tensor(p + "self_attn.q_proj.weight"), in, tensor(p + "self_attn.q_proj.bias"));
                k[i] = RefMath.linear(tensor(p + "self_attn.k_proj.weight"), in, tensor(p + "self_attn.k_proj.bias"));
                v[i] = RefMath.linear(tensor(p + "self_attn.v_proj.weight"), in, tensor(p + "self_attn.v_proj.bias"));
                if (olmo2) {
                    q[i] = RefMath.rmsNorm(q[i], t(p + "self_attn.q_norm.weight"), eps, false);
                    k[i] = RefMath.rmsNorm(k[i], t(p + "self_attn.k_norm.weight"), eps, false);
                } else if (qwen3) {
                    q[i] = RefMath.rmsNormEach(q[i], headDim, t(p + "self_attn.q_norm.weight"), eps, false);
                    k[i] = RefMath.rmsNormEach(k[i], headDim, t(p + "self_attn.k_norm.weight"), eps, false);
                }
                RefMath.rope(q[i], heads, headDim, i, invFreq, 1.0);
                RefMath.rope(k[i], kvHeads, headDim, i, invFreq, 1.0);
            }
            double[][] att = RefMath.attention(q, k, v, heads, kvHeads, headDim, headDim, 1.0 / Math.sqrt(headDim),
                    Integer.MAX_VALUE, 0);
            double[][] attnOut = new double[n][];
            double[][] mlpOut = new double[n][];
            for (int i = 0; i < n; i++) {
                double[] o = RefMath.linear(tensor(p + "self_attn.o_proj.weight"), att[i], tensor(p + "self_attn.o_proj.bias"));
                if (olmo2) {
                    o = RefMath.rmsNorm(o, t(p + "post_attention_layernorm.weight"), eps, false);
                }
                attnOut[i] = o;
                double[] mid = RefMath.add(x[i], o);
                double[] in = olmo2 ? mid : RefMath.rmsNorm(mid, t(p + "post_attention_layernorm.weight"), eps, false);
                double[] g = RefMath.linear(tensor(p + "mlp.gate_proj.weight"), in, null);
                double[] u = RefMath.linear(tensor(p + "mlp.up_proj.weight"), in, null);
                for (int j = 0; j < g.length; j++) {
                    g[j] = RefMath.activation(act, g[j]) * u[j];
                }
                double[] d = RefMath.linear(tensor(p + "mlp.down_proj.weight"), g, null);
                if (olmo2) {
                    d = RefMath.rmsNorm(d, t(p + "post_feedforward_layernorm.weight"), eps, false);
                }
                mlpOut[i] = d;
                x[i] = RefMath.add(mid, d);
            }
            out[l][ATTN_OUT] = attnOut;
            out[l][MLP_OUT] = mlpOut;
            out[l][RESIDUAL_POST] = RefMath.copy(x);
        }
        return out;
    }
}
