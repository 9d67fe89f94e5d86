package org.fpwap.oracle;

import java.util.Map;

/**
 * FP64 mixture-of-experts feed-forward for one token, written from the HF modeling files' semantics (transformers
 * 5.x): {@code modeling_mixtral.py} (softmax over all experts, top-k, always divided by the chosen weights' sum;
 * experts {@code w1} gate, {@code w3} up, {@code w2} down), {@code modeling_qwen2_moe.py} (the same, the division only
 * when {@code norm_topk_prob}; plus {@code sigmoid(shared_expert_gate·x) · shared_expert(x)}) and
 * {@code modeling_deepseek_v2.py} (softmax, top-k greedy or within the {@code topk_group} groups whose best expert
 * scores highest, the others' scores set to 0; no division whatever {@code norm_topk_prob} says; times
 * {@code routed_scaling_factor}; plus {@code shared_experts(x)}). The routing of each call is kept for the
 * callback-routing checks.
 *
 * @param block the block's name prefix ({@code model.layers.3.block_sparse_moe.} or {@code model.layers.3.mlp.})
 * @param mixtralNames experts named {@code w1/w3/w2} instead of {@code gate_proj/up_proj/down_proj}
 * @param experts routed experts
 * @param topK experts per token
 * @param renormalize divide the chosen weights by their sum
 * @param scaling the chosen weights' factor
 * @param groups expert groups for group-limited routing, 0 for plain top-k
 * @param topGroups groups kept
 * @param shared the shared expert's module name ({@code shared_expert}, {@code shared_experts}) or null
 * @param sigmoidGate the shared expert is gated by {@code shared_expert_gate}
 * @param act the activation's HF name
 */
record MoeReference(String block, boolean mixtralNames, int experts, int topK, boolean renormalize, double scaling,
        int groups, int topGroups, String shared, boolean sigmoidGate, String act) {

    /** One token's output; {@code chosen}/{@code weights} (length topK) receive the routing, best first. */
    double[] apply(Map<String, SafetensorsF32.Tensor> w, double[] x, int[] chosen, double[] weights) {
        double[] logits = RefMath.linear(w.get(block + "gate.weight"), x, null);
        double max = Double.NEGATIVE_INFINITY;
        for (double l : logits) {
            max = Math.max(max, l);
        }
        double[] p = new double[experts];
        double sum = 0;
        for (int e = 0; e < experts; e++) {
            p[e] = Math.exp(logits[e] - max);
            sum += p[e];
        }
        for (int e = 0; e < experts; e++) {
            p[e] /= sum;
        }
        if (groups > 0) {
            int size = experts / groups;
            double[] best = new double[groups];
            for (int g = 0; g < groups; g++) {
                best[g] = Double.NEGATIVE_INFINITY;
                for (int e = g * size; e < (g + 1) * size; e++) {
                    best[g] = Math.max(best[g], p[e]);
                }
            }
            int[] keptGroups = topIndices(best, topGroups);
            double[] masked = new double[experts];
            for (int g : keptGroups) {
                System.arraycopy(p, g * size, masked, g * size, size);
            }
            p = masked;
        }
        int[] top = topIndices(p, topK);
        double chosenSum = 0;
        for (int j = 0; j < topK; j++) {
            chosenSum += p[top[j]];
        }
        double[] out = new double[x.length];
        for (int j = 0; j < topK; j++) {
            double weight = (renormalize ? p[top[j]] / chosenSum : p[top[j]]) * scaling;
            chosen[j] = top[j];
            weights[j] = weight;
            String e = block + "experts." + top[j] + ".";
            double[] y = gatedMlp(w, e + (mixtralNames ? "w1" : "gate_proj"), e + (mixtralNames ? "w3" : "up_proj"),
                    e + (mixtralNames ? "w2" : "down_proj"), x);
            for (int h = 0; h < out.length; h++) {
                out[h] += weight * y[h];
            }
        }
        if (shared != null) {
            String s = block + shared + ".";
            double[] y = gatedMlp(w, s + "gate_proj", s + "up_proj", s + "down_proj", x);
            double gate = 1.0;
            if (sigmoidGate) {
                gate = 1.0 / (1.0 + Math.exp(-RefMath.linear(w.get(block + "shared_expert_gate.weight"), x, null)[0]));
            }
            for (int h = 0; h < out.length; h++) {
                out[h] += gate * y[h];
            }
        }
        return out;
    }

    /** {@code down(act(gate x) · up x)}. */
    double[] gatedMlp(Map<String, SafetensorsF32.Tensor> w, String gate, String up, String down, double[] x) {
        double[] g = RefMath.linear(w.get(gate + ".weight"), x, null);
        double[] u = RefMath.linear(w.get(up + ".weight"), x, null);
        for (int i = 0; i < g.length; i++) {
            g[i] = RefMath.activation(act, g[i]) * u[i];
        }
        return RefMath.linear(w.get(down + ".weight"), g, null);
    }

    /** The indices of the {@code k} largest values, largest first, ties to the lower index. */
    static int[] topIndices(double[] v, int k) {
        int[] out = new int[k];
        boolean[] used = new boolean[v.length];
        for (int j = 0; j < k; j++) {
            int best = -1;
            for (int i = 0; i < v.length; i++) {
                if (!used[i] && (best < 0 || v[i] > v[best])) {
                    best = i;
                }
            }
            used[best] = true;
            out[j] = best;
        }
        return out;
    }
}
