package org.fpwap.forward;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import org.fpwap.model.AttentionSpec;
import org.fpwap.model.LayerTensor;
import org.fpwap.model.NormKind;
import org.fpwap.weights.LayerWeights;

/**
 * Multi-head / grouped-query attention: q/k/v projections (separate, fused Linear or GPT-2's fused Conv1D),
 * optional q/k RMSNorm (per head or over the projected width), RoPE, the scaled-dot-product kernel with the
 * layer's window and optional soft-cap, and the output projection.
 */
final class StandardAttention {

    private StandardAttention() {}

    /**
     * @param x the sub-layer input {@code [B, T, H]} (already normalised when the block has pre-norms)
     * @param normKind the family's RMS kind for the q/k norms (their weights are stored ready to multiply)
     * @return the attention output after {@code o_proj}, {@code [B, T, H]}
     */
    static NDArray apply(AttentionSpec.Standard a, LayerWeights w, NDArray x, ForwardContext ctx, NormKind normKind,
            double eps, long scoreBudgetBytes) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        long qWidth = (long) a.numHeads() * a.headDim();
        long kvWidth = (long) a.numKvHeads() * a.headDim();
        boolean conv1d = a.projections() == AttentionSpec.QkvProjections.FUSED_CONV1D;
        NDArray q;
        NDArray k;
        NDArray v;
        if (a.projections() == AttentionSpec.QkvProjections.SEPARATE) {
            q = project(x, w, LayerTensor.Q_WEIGHT, LayerTensor.Q_BIAS, false);
            k = project(x, w, LayerTensor.K_WEIGHT, LayerTensor.K_BIAS, false);
            v = project(x, w, LayerTensor.V_WEIGHT, LayerTensor.V_BIAS, false);
        } else {
            NDList qkv = project(x, w, LayerTensor.QKV_WEIGHT, LayerTensor.QKV_BIAS, conv1d)
                    .split(new long[] {qWidth, qWidth + kvWidth}, 2);
            q = qkv.get(0);
            k = qkv.get(1);
            v = qkv.get(2);
        }
        if (a.qkNorm() == org.fpwap.model.QkNorm.PROJECTED) {
            q = Norms.apply(normKind, q, w.get(LayerTensor.Q_NORM_WEIGHT), null, eps);
            k = Norms.apply(normKind, k, w.get(LayerTensor.K_NORM_WEIGHT), null, eps);
        }
        q = q.reshape(b, t, a.numHeads(), a.headDim());
        k = k.reshape(b, t, a.numKvHeads(), a.headDim());
        v = v.reshape(b, t, a.numKvHeads(), a.headDim());
        if (a.qkNorm() == org.fpwap.model.QkNorm.PER_HEAD) {
            q = Norms.apply(normKind, q, w.get(LayerTensor.Q_NORM_WEIGHT), null, eps);
            k = Norms.apply(normKind, k, w.get(LayerTensor.K_NORM_WEIGHT), null, eps);
        }
        if (a.rope().isPresent()) {
            ForwardContext.RopeTables tables = ctx.rope(a.rope().get());
            q = Rope.apply(q, tables.cos(), tables.sin());
            k = Rope.apply(k, tables.cos(), tables.sin());
        }
        NDArray heads = Attention.apply(q, k, v, ctx.mask(a.slidingWindow()), a.scale(), a.softcap(), scoreBudgetBytes);
        return project(heads, w, LayerTensor.O_WEIGHT, LayerTensor.O_BIAS, conv1d);
    }

    private static NDArray project(NDArray x, LayerWeights w, LayerTensor weight, LayerTensor bias, boolean conv1d) {
        return Projection.apply(x, w.get(weight), w.find(bias).orElse(null), conv1d);
    }
}
