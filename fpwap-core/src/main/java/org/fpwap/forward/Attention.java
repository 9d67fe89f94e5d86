package org.fpwap.forward;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import org.fpwap.model.ModelSpec;

/**
 * Causal, GQA-aware scaled-dot-product attention over a padded microbatch. Queries are grouped by the
 * key/value head they share ({@code [B, kvHeads, group, T, d]}) so keys and values are never
 * repeated; the score tensor is computed in query chunks when it would exceed a byte budget.
 */
final class Attention {

    /** Largest score tensor (bytes) computed at once; beyond it queries are processed in chunks. */
    static final long SCORE_BUDGET_BYTES = 64L << 20;

    private Attention() {}

    /**
     * @param q {@code [B, T, heads, d]} after RoPE
     * @param k {@code [B, T, kvHeads, d]} after RoPE
     * @param v {@code [B, T, kvHeads, d]}
     * @return {@code [B, T, heads * d]}
     */
    static NDArray apply(ModelSpec spec, NDArray q, NDArray k, NDArray v, NDArray mask, long scoreBudgetBytes) {
        Shape shape = q.getShape();
        long b = shape.get(0);
        long t = shape.get(1);
        long kvHeads = spec.numKvHeads();
        long group = spec.queriesPerKvHead();
        long d = spec.headDim();
        NDArray grouped = q.reshape(b, t, kvHeads, group, d).transpose(0, 2, 3, 1, 4); // [B,kv,g,T,d]
        NDArray keysT = k.transpose(0, 2, 3, 1).expandDims(2); // [B,kv,1,d,T]
        NDArray values = v.transpose(0, 2, 1, 3).expandDims(2); // [B,kv,1,T,d]

        long bytesPerQueryRow = b * kvHeads * group * t * Float.BYTES;
        long chunk = Math.max(1, Math.min(t, scoreBudgetBytes / Math.max(1, bytesPerQueryRow)));
        NDArray out;
        if (chunk >= t) {
            out = chunkOutput(spec, grouped, keysT, values, mask, 0, t);
        } else {
            NDList parts = new NDList();
            for (long start = 0; start < t; start += chunk) {
                parts.add(chunkOutput(spec, grouped, keysT, values, mask, start, Math.min(t, start + chunk)));
            }
            out = NDArrays.concat(parts, 3);
        }
        return out.transpose(0, 3, 1, 2, 4).reshape(b, t, kvHeads * group * d);
    }

    /** Attention output for queries {@code [start, end)}; causality means keys beyond {@code end} never matter. */
    private static NDArray chunkOutput(ModelSpec spec, NDArray grouped, NDArray keysT, NDArray values, NDArray mask,
            long start, long end) {
        boolean whole = start == 0 && end == grouped.getShape().get(3);
        NDArray qc = whole ? grouped : grouped.get(new NDIndex(":, :, :, {}:{}, :", start, end));
        NDArray kc = whole ? keysT : keysT.get(new NDIndex("..., :{}", end));
        NDArray vc = whole ? values : values.get(new NDIndex(":, :, :, :{}, :", end));
        NDArray mc = whole ? mask : mask.get(new NDIndex(":, :, :, {}:{}, :{}", start, end, end));
        NDArray scores = qc.matMul(kc).mul(spec.attentionScale()).add(mc);
        return scores.softmax(-1).matMul(vc);
    }
}
