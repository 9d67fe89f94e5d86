package org.fpwap.oracle;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * FP64 reference for the mixture-of-experts decoders with Llama attention, written from HF transformers 5.x
 * {@code modeling_mixtral.py} / {@code configuration_mixtral.py} (every layer sparse, {@code num_local_experts}
 * default 8, top-2, {@code rms_norm_eps} default 1e-5, {@code rope_theta} default 1e6, optional
 * {@code sliding_window}) and {@code modeling_qwen2_moe.py} / {@code configuration_qwen2_moe.py} (q/k/v biases when
 * {@code qkv_bias}, default true; layer {@code i} sparse iff {@code i ∉ mlp_only_layers} and
 * {@code (i+1) % decoder_sparse_step == 0}, else a dense MLP of {@code intermediate_size}). The expert math is
 * {@link MoeReference}. Plain RoPE only.
 */
public final class MoeDecoderReference implements HookReference {

    /** Hooks plus each MoE layer's routing: {@code experts[layer][t]} (null at dense layers), best first. */
    public record Run(double[][][][] hooks, int[][][] experts, double[][][] weights) {}

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
    private final int window;
    private final MoeReference moe;
    private final Set<Integer> denseLayers = new HashSet<>();

    MoeDecoderReference(JsonObject c, Map<String, SafetensorsF32.Tensor> weights) {
        this.family = c.get("model_type").getAsString();
        this.w = weights;
        boolean mixtral = family.equals("mixtral");
        this.hidden = c.get("hidden_size").getAsInt();
        this.layers = c.get("num_hidden_layers").getAsInt();
        this.heads = c.get("num_attention_heads").getAsInt();
        this.kvHeads = has(c, "num_key_value_heads") ? c.get("num_key_value_heads").getAsInt() : heads;
        this.headDim = has(c, "head_dim") ? c.get("head_dim").getAsInt() : hidden / heads;
        this.eps = has(c, "rms_norm_eps") ? c.get("rms_norm_eps").getAsDouble() : mixtral ? 1e-5 : 1e-6;
        this.act = has(c, "hidden_act") ? c.get("hidden_act").getAsString() : "silu";
        double theta = has(c, "rope_theta") ? c.get("rope_theta").getAsDouble() : mixtral ? 1e6 : 10000.0;
        if (has(c, "rope_scaling") || has(c, "rope_parameters")) {
            throw new UnsupportedOperationException("this reference computes plain RoPE only");
        }
        this.invFreq = RefMath.inverseFrequencies(theta, headDim);
        this.window = mixtral && has(c, "sliding_window") ? c.get("sliding_window").getAsInt() : Integer.MAX_VALUE;
        if (mixtral) {
            this.moe = new MoeReference(null, true, intOr(c, "num_local_experts", 8), intOr(c, "num_experts_per_tok", 2),
                    true, 1.0, 0, 0, null, false, act);
        } else {
            boolean norm = has(c, "norm_topk_prob") && c.get("norm_topk_prob").getAsBoolean();
            this.moe = new MoeReference(null, false, intOr(c, "num_experts", 60), intOr(c, "num_experts_per_tok", 4), norm,
                    1.0, 0, 0, "shared_expert", true, act);
            int step = intOr(c, "decoder_sparse_step", 1);
            Set<Integer> only = new HashSet<>();
            if (has(c, "mlp_only_layers")) {
                JsonArray a = c.getAsJsonArray("mlp_only_layers");
                a.forEach(e -> only.add(e.getAsInt()));
            }
            for (int l = 0; l < layers; l++) {
                if (only.contains(l) || (l + 1) % step != 0 || moe.experts() == 0) {
                    denseLayers.add(l);
                }
            }
        }
    }

    private static boolean has(JsonObject c, String key) {
        JsonElement e = c.get(key);
        return e != null && !e.isJsonNull();
    }

    private static int intOr(JsonObject c, String key, int fallback) {
        return has(c, key) ? c.get(key).getAsInt() : fallback;
    }

    private float[] t(String name) {
        SafetensorsF32.Tensor tensor = w.get(name);
        if (tensor == null) {
            throw new IllegalArgumentException("reference: tensor " + name + " missing");
        }
        return tensor.data();
    }

    @Override
    public double[][][][] hooks(int[] ids) {
        return run(ids).hooks();
    }

    /** Every hook and every MoE layer's routing for {@code ids} run alone. */
    public Run run(int[] ids) {
        int n = ids.length;
        float[] emb = t("model.embed_tokens.weight");
        double[][] x = new double[n][hidden];
        for (int i = 0; i < n; i++) {
            for (int h = 0; h < hidden; h++) {
                x[i][h] = emb[ids[i] * hidden + h];
            }
        }
        double[][][][] out = new double[layers][4][][];
        int[][][] experts = new int[layers][][];
        double[][][] weights = new double[layers][][];
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            out[l][RESIDUAL_PRE] = RefMath.copy(x);
            double[][] q = new double[n][];
            double[][] k = new double[n][];
            double[][] v = new double[n][];
            for (int i = 0; i < n; i++) {
                double[] in = RefMath.rmsNorm(x[i], t(p + "input_layernorm.weight"), eps, false);
                q[i] = RefMath.linear(w.get(p + "self_attn.q_proj.weight"), in, w.get(p + "self_attn.q_proj.bias"));
                k[i] = RefMath.linear(w.get(p + "self_attn.k_proj.weight"), in, w.get(p + "self_attn.k_proj.bias"));
                v[i] = RefMath.linear(w.get(p + "self_attn.v_proj.weight"), in, w.get(p + "self_attn.v_proj.bias"));
                RefMath.rope(q[i], heads, headDim, i, invFreq, 1.0);
                RefMath.rope(k[i], kvHeads, headDim, i, invFreq, 1.0);
            }
            double[][] att = RefMath.attention(q, k, v, heads, kvHeads, headDim, headDim, 1.0 / Math.sqrt(headDim), window, 0);
            double[][] attnOut = new double[n][];
            double[][] mlpOut = new double[n][];
            boolean sparse = !denseLayers.contains(l);
            MoeReference layerMoe = sparse ? withBlock(p) : null;
            if (sparse) {
                experts[l] = new int[n][moe.topK()];
                weights[l] = new double[n][moe.topK()];
            }
            for (int i = 0; i < n; i++) {
                attnOut[i] = RefMath.linear(w.get(p + "self_attn.o_proj.weight"), att[i], null);
                double[] mid = RefMath.add(x[i], attnOut[i]);
                double[] in = RefMath.rmsNorm(mid, t(p + "post_attention_layernorm.weight"), eps, false);
                mlpOut[i] = sparse ? layerMoe.apply(w, in, experts[l][i], weights[l][i])
                        : moe.gatedMlp(w, p + "mlp.gate_proj", p + "mlp.up_proj", p + "mlp.down_proj", in);
                x[i] = RefMath.add(mid, mlpOut[i]);
            }
            out[l][ATTN_OUT] = attnOut;
            out[l][MLP_OUT] = mlpOut;
            out[l][RESIDUAL_POST] = RefMath.copy(x);
        }
        return new Run(out, experts, weights);
    }

    private MoeReference withBlock(String layerPrefix) {
        String block = layerPrefix + (family.equals("mixtral") ? "block_sparse_moe." : "mlp.");
        return new MoeReference(block, moe.mixtralNames(), moe.experts(), moe.topK(), moe.renormalize(), moe.scaling(),
                moe.groups(), moe.topGroups(), moe.shared(), moe.sigmoidGate(), moe.act());
    }
}
