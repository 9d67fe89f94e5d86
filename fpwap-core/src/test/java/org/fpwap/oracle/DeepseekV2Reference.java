package org.fpwap.oracle;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.Map;

/**
 * FP64 reference for DeepSeek-V2 written from HF transformers 5.x {@code modeling_deepseek_v2.py} and
 * {@code configuration_deepseek_v2.py}: multi-head latent attention (queries from {@code q_proj}, or
 * {@code q_b_proj(RMSNorm_1e-6(q_a_proj x))}; {@code kv_a_proj_with_mqa} split into the {@code kv_lora_rank} latent and
 * one {@code qk_rope_head_dim} rotary key shared by all heads; {@code kv_b_proj(RMSNorm_1e-6(latent))} split per head
 * into non-rotary key and value; RoPE as a complex product on adjacent feature pairs; scores scaled by
 * {@code (nope + rope)^-0.5}), yarn frequencies and attention factor as 5.x's {@code _compute_yarn_parameters}
 * (factor as given; {@code mscale}/{@code mscale_all_dim}; {@code truncate} true), dense MLP before
 * {@code first_k_dense_replace}, then the MoE of {@link MoeReference} (softmax, greedy or group-limited top-k, no
 * renormalisation, {@code routed_scaling_factor}, {@code shared_experts}).
 */
public final class DeepseekV2Reference implements HookReference {

    private final Map<String, SafetensorsF32.Tensor> w;
    private final int hidden;
    private final int layers;
    private final int heads;
    private final Integer qLora;
    private final int kvLora;
    private final int nope;
    private final int rope;
    private final int vDim;
    private final double eps;
    private final String act;
    private final double[] invFreq;
    private final double attentionFactor;
    private final int firstMoe;
    private final MoeReference moe;

    DeepseekV2Reference(JsonObject c, Map<String, SafetensorsF32.Tensor> weights) {
        this.w = weights;
        this.hidden = c.get("hidden_size").getAsInt();
        this.layers = c.get("num_hidden_layers").getAsInt();
        this.heads = c.get("num_attention_heads").getAsInt();
        // Absent means DeepseekV2Config's 1536; an explicit null means no query bottleneck (q_proj).
        this.qLora = !c.has("q_lora_rank") ? Integer.valueOf(1536)
                : c.get("q_lora_rank").isJsonNull() ? null : Integer.valueOf(c.get("q_lora_rank").getAsInt());
        this.kvLora = intOr(c, "kv_lora_rank", 512);
        this.nope = intOr(c, "qk_nope_head_dim", 128);
        this.rope = intOr(c, "qk_rope_head_dim", 64);
        this.vDim = intOr(c, "v_head_dim", 128);
        this.eps = has(c, "rms_norm_eps") ? c.get("rms_norm_eps").getAsDouble() : 1e-6;
        this.act = has(c, "hidden_act") ? c.get("hidden_act").getAsString() : "silu";
        double theta = has(c, "rope_theta") ? c.get("rope_theta").getAsDouble() : 10000.0;
        double[] inv = RefMath.inverseFrequencies(theta, rope);
        double af = 1.0;
        if (has(c, "rope_scaling")) {
            JsonObject s = c.getAsJsonObject("rope_scaling");
            double factor = s.get("factor").getAsDouble();
            int original = s.get("original_max_position_embeddings").getAsInt();
            double fast = has(s, "beta_fast") ? s.get("beta_fast").getAsDouble() : 32;
            double slow = has(s, "beta_slow") ? s.get("beta_slow").getAsDouble() : 1;
            double low = Math.max(Math.floor(correction(fast, rope, theta, original)), 0);
            double high = Math.min(Math.ceil(correction(slow, rope, theta, original)), rope - 1);
            if (low == high) {
                high += 0.001;
            }
            for (int i = 0; i < inv.length; i++) {
                double extrapolationFactor = 1 - Math.clamp((i - low) / (high - low), 0.0, 1.0);
                inv[i] = inv[i] / factor * (1 - extrapolationFactor) + inv[i] * extrapolationFactor;
            }
            double m = has(s, "mscale") ? s.get("mscale").getAsDouble() : 0;
            double mAll = has(s, "mscale_all_dim") ? s.get("mscale_all_dim").getAsDouble() : 0;
            af = m != 0 && mAll != 0 ? mscale(factor, m) / mscale(factor, mAll) : mscale(factor, 1);
        }
        this.invFreq = inv;
        this.attentionFactor = af;
        this.firstMoe = intOr(c, "first_k_dense_replace", 0);
        String method = has(c, "topk_method") ? c.get("topk_method").getAsString() : "greedy";
        boolean grouped = method.equals("group_limited_greedy");
        int experts = intOr(c, "n_routed_experts", 64);
        int topK = intOr(c, "num_experts_per_tok", 0);
        double scaling = has(c, "routed_scaling_factor") ? c.get("routed_scaling_factor").getAsDouble() : 1.0;
        boolean shared = !c.has("n_shared_experts") || !c.get("n_shared_experts").isJsonNull();
        this.moe = new MoeReference(null, false, experts, topK, false, scaling, grouped ? c.get("n_group").getAsInt() : 0,
                grouped ? c.get("topk_group").getAsInt() : 0, shared ? "shared_experts" : null, false, act);
    }

    private static double correction(double rotations, int dim, double base, int positions) {
        return dim * Math.log(positions / (rotations * 2 * Math.PI)) / (2 * Math.log(base));
    }

    private static double mscale(double scale, double m) {
        return scale <= 1 ? 1.0 : 0.1 * m * Math.log(scale) + 1.0;
    }

    private static boolean has(JsonObject c, String key) {
        JsonElement e = c.get(key);
        return e != null && !e.isJsonNull();
    }

    private static int intOr(JsonObject c, String key, int fallback) {
        return has(c, key) ? c.get(key).getAsInt() : fallback;
    }

    private SafetensorsF32.Tensor t(String name) {
        SafetensorsF32.Tensor tensor = w.get(name);
        if (tensor == null) {
            throw new IllegalArgumentException("reference: tensor " + name + " missing");
        }
        return tensor;
    }

    /** Rotates adjacent pairs {@code (2i, 2i+1)} of {@code v[off .. off+rope)} by {@code pos · inv_freq_i}, times the factor. */
    private void ropePairs(double[] v, int off, int pos) {
        for (int i = 0; i < rope / 2; i++) {
            double ang = pos * invFreq[i];
            double c = Math.cos(ang) * attentionFactor;
            double s = Math.sin(ang) * attentionFactor;
            double re = v[off + 2 * i];
            double im = v[off + 2 * i + 1];
            v[off + 2 * i] = re * c - im * s;
            v[off + 2 * i + 1] = re * s + im * c;
        }
    }

    @Override
    public double[][][][] hooks(int[] ids) {
        int n = ids.length;
        int qk = nope + rope;
        float[] emb = t("model.embed_tokens.weight").data();
        double[][] x = new double[n][hidden];
        for (int i = 0; i < n; i++) {
            for (int h = 0; h < hidden; h++) {
                x[i][h] = emb[ids[i] * hidden + h];
            }
        }
        double[][][][] out = new double[layers][4][][];
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            String a = p + "self_attn.";
            out[l][RESIDUAL_PRE] = RefMath.copy(x);
            double[][] q = new double[n][heads * qk];
            double[][] k = new double[n][heads * qk];
            double[][] v = new double[n][heads * vDim];
            for (int i = 0; i < n; i++) {
                double[] in = RefMath.rmsNorm(x[i], t(p + "input_layernorm.weight").data(), eps, false);
                double[] qi = qLora == null ? RefMath.linear(t(a + "q_proj.weight"), in, null)
                        : RefMath.linear(t(a + "q_b_proj.weight"), RefMath.rmsNorm(RefMath.linear(t(a + "q_a_proj.weight"), in,
                                w.get(a + "q_a_proj.bias")), t(a + "q_a_layernorm.weight").data(), 1e-6, false), null);
                double[] ckv = RefMath.linear(t(a + "kv_a_proj_with_mqa.weight"), in, w.get(a + "kv_a_proj_with_mqa.bias"));
                double[] latent = java.util.Arrays.copyOfRange(ckv, 0, kvLora);
                double[] kPe = java.util.Arrays.copyOfRange(ckv, kvLora, kvLora + rope);
                ropePairs(kPe, 0, i);
                double[] kv = RefMath.linear(t(a + "kv_b_proj.weight"),
                        RefMath.rmsNorm(latent, t(a + "kv_a_layernorm.weight").data(), 1e-6, false), null);
                for (int h = 0; h < heads; h++) {
                    ropePairs(qi, h * qk + nope, i);
                    System.arraycopy(qi, h * qk, q[i], h * qk, qk);
                    System.arraycopy(kv, h * (nope + vDim), k[i], h * qk, nope);
                    System.arraycopy(kPe, 0, k[i], h * qk + nope, rope);
                    System.arraycopy(kv, h * (nope + vDim) + nope, v[i], h * vDim, vDim);
                }
            }
            double[][] att = RefMath.attention(q, k, v, heads, heads, qk, vDim, 1.0 / Math.sqrt(qk), Integer.MAX_VALUE, 0);
            double[][] attnOut = new double[n][];
            double[][] mlpOut = new double[n][];
            boolean sparse = l >= firstMoe;
            MoeReference layerMoe = new MoeReference(p + "mlp.", false, moe.experts(), moe.topK(), false, moe.scaling(),
                    moe.groups(), moe.topGroups(), moe.shared(), false, act);
            for (int i = 0; i < n; i++) {
                attnOut[i] = RefMath.linear(t(a + "o_proj.weight"), att[i], w.get(a + "o_proj.bias"));
                double[] mid = RefMath.add(x[i], attnOut[i]);
                double[] in = RefMath.rmsNorm(mid, t(p + "post_attention_layernorm.weight").data(), eps, false);
                mlpOut[i] = sparse ? layerMoe.apply(w, in, new int[moe.topK()], new double[moe.topK()])
                        : moe.gatedMlp(w, p + "mlp.gate_proj", p + "mlp.up_proj", p + "mlp.down_proj", in);
                x[i] = RefMath.add(mid, mlpOut[i]);
            }
            out[l][ATTN_OUT] = attnOut;
            out[l][MLP_OUT] = mlpOut;
            out[l][RESIDUAL_POST] = RefMath.copy(x);
        }
        return out;
    }
}
