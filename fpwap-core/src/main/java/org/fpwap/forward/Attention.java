package org.fpwap.forward;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.OptionalDouble;

/**
 * Causal, GQA-aware scaled-dot-product attention over a padded microbatch, the kernel every attention op
 * ends in. Queries are grouped by the key/value head they share ({@code [B, kvHeads, group, T, d]}) so keys
 * and values are never repeated; the score tensor is computed in query chunks when it would exceed a byte
 * budget. Key and value widths may differ (latent attention).
 */
final class Attention {

    /** Largest score tensor (bytes) computed at once; beyond it queries are processed in chunks. */
    static final long SCORE_BUDGET_BYTES = 64L << 20;

    private Attention() {}

    /**
     * @param q {@code [B, T, heads, dk]} after RoPE
     * @param k {@code [B, T, kvHeads, dk]} after RoPE
     * @param v {@code [B, T, kvHeads, dv]}
     * @param mask additive {@code [B, 1, 1, T, T]}
     * @param scale the factor on {@code q·k}
     * @param softcap when set, scores become {@code cap · tanh(scores / cap)} before the mask (Gemma 2)
     * @return {@code [B, T, heads * dv]}
     */
    static NDArray apply(NDArray q, NDArray k, NDArray v, NDArray mask, float scale, OptionalDouble softcap,
            long scoreBudgetBytes) {
        Shape shape = q.getShape();
        long b = shape.get(0);
        long t = shape.get(1);
        long heads = shape.get(2);
        long dk = shape.get(3);
        long kvHeads = k.getShape().get(2);
        long dv = v.getShape().get(3);
        long group = heads / kvHeads;
        NDArray grouped = q.reshape(b, t, kvHeads, group, dk).transpose(0, 2, 3, 1, 4); // [B,kv,g,T,dk]
        NDArray keysT = k.transpose(0, 2, 3, 1).expandDims(2); // [B,kv,1,dk,T]
        NDArray values = v.transpose(0, 2, 1, 3).expandDims(2); // [B,kv,1,T,dv]

        long bytesPerQueryRow = b * kvHeads * group * t * Float.BYTES;
        long chunk = Math.max(1, Math.min(t, scoreBudgetBytes / Math.max(1, bytesPerQueryRow)));
        NDArray out;
        if (chunk >= t) {
            out = chunkOutput(grouped, keysT, values, mask, scale, softcap, 0, t);
        } else {
            NDList parts = new NDList();
            for (long start = 0; start < t; start += chunk) {
                parts.add(chunkOutput(grouped, keysT, values, mask, scale, softcap, start, Math.min(t, start + chunk)));
            }
            out = NDArrays.concat(parts, 3);
        }
        return out.transpose(0, 3, 1, 2, 4).reshape(b, t, heads * dv);
    }

    /** Attention output for queries {@code [start, end)}; causality means keys beyond {@code end} never matter. */
    private static NDArray chunkOutput(NDArray grouped, NDArray keysT, NDArray values, NDArray mask, float scale,
            OptionalDouble softcap, long start, long end) {
        boolean whole = start == 0 && end == grouped.getShape().get(3);
        NDArray qc = whole ? grouped : grouped.get(new NDIndex(":, :, :, {}:{}, :", start, end));
        NDArray kc = whole ? keysT : keysT.get(new NDIndex("..., :{}", end));
        NDArray vc = whole ? values : values.get(new NDIndex(":, :, :, :{}, :", end));
        NDArray mc = whole ? mask : mask.get(new NDIndex(":, :, :, {}:{}, :{}", start, end, end));
        NDArray scores = qc.matMul(kc).mul(scale);
        if (softcap.isPresent()) {
            float cap = (float) softcap.getAsDouble();
            scores = scores.div(cap).tanh().mul(cap);
        }
        return scores.add(mc).softmax(-1).matMul(vc);
    }
}
