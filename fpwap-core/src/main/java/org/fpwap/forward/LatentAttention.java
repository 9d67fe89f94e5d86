package org.fpwap.forward;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.OptionalDouble;
import org.fpwap.model.AttentionSpec;
import org.fpwap.model.LayerTensor;
import org.fpwap.model.NormKind;
import org.fpwap.weights.LayerWeights;

/**
 * DeepSeek-V2's multi-head latent attention, as HF {@code DeepseekV2Attention} computes it: queries from
 * {@code q_proj} or {@code q_b_proj(rms(q_a_proj x))}; {@code kv_a_proj_with_mqa x} split into the latent and one
 * rotary key shared by every head; the latent RMSNorm-ed and expanded by {@code kv_b_proj} into per-head non-rotary
 * keys and values; RoPE on the rotary parts only; the SDPA kernel with {@code nope + rope}-wide queries/keys and
 * {@code v_head_dim}-wide values; {@code o_proj}.
 *
 * <p>HF rotates adjacent pairs {@code (2i, 2i+1)} of the rope part by frequency {@code i} (a complex product). We
 * gather the even then the odd features and apply the rotate-half rotation, which yields the same rotated pairs in
 * de-interleaved order; queries and keys are permuted alike, so every score {@code q·k}, and hence the output, is
 * the same.
 */
final class LatentAttention {

    private LatentAttention() {}

    /**
     * @param x the sub-layer input {@code [B, T, H]} (normalised)
     * @return the attention output after {@code o_proj}, {@code [B, T, H]}
     */
    static NDArray apply(AttentionSpec.Latent a, LayerWeights w, NDArray x, ForwardContext ctx, long scoreBudgetBytes) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        int heads = a.numHeads();
        NDArray q;
        if (a.qLoraRank().isPresent()) {
            NDArray qa = Projection.apply(x, w.get(LayerTensor.Q_A_WEIGHT), w.find(LayerTensor.Q_A_BIAS).orElse(null), false);
            qa = Norms.apply(NormKind.RMS, qa, w.get(LayerTensor.Q_A_NORM_WEIGHT), null, a.latentNormEps());
            q = Projection.apply(qa, w.get(LayerTensor.Q_B_WEIGHT), null, false);
        } else {
            q = Projection.apply(x, w.get(LayerTensor.Q_WEIGHT), null, false);
        }
        NDList qParts = q.reshape(b, t, heads, a.qkHeadDim()).split(new long[] {a.qkNopeHeadDim()}, 3);
        NDList kvA = Projection.apply(x, w.get(LayerTensor.KV_A_WEIGHT), w.find(LayerTensor.KV_A_BIAS).orElse(null), false)
                .split(new long[] {a.kvLoraRank()}, 2);
        NDArray latent = Norms.apply(NormKind.RMS, kvA.get(0), w.get(LayerTensor.KV_A_NORM_WEIGHT), null, a.latentNormEps());
        NDList kv = Projection.apply(latent, w.get(LayerTensor.KV_B_WEIGHT), null, false)
                .reshape(b, t, heads, a.qkNopeHeadDim() + a.vHeadDim()).split(new long[] {a.qkNopeHeadDim()}, 3);
        ForwardContext.RopeTables tables = ctx.rope(a.ropeSpec());
        NDArray qRope = Rope.apply(deinterleave(qParts.get(1)), tables.cos(), tables.sin());
        NDArray kRope = Rope.apply(deinterleave(kvA.get(1).reshape(b, t, 1, a.qkRopeHeadDim())), tables.cos(), tables.sin())
                .broadcast(new Shape(b, t, heads, a.qkRopeHeadDim()));
        NDArray query = NDArrays.concat(new NDList(qParts.get(0), qRope), 3);
        NDArray key = NDArrays.concat(new NDList(kv.get(0), kRope), 3);
        NDArray out = Attention.apply(query, key, kv.get(1), ctx.mask(a.slidingWindow()), a.scale(), OptionalDouble.empty(),
                scoreBudgetBytes);
        return Projection.apply(out, w.get(LayerTensor.O_WEIGHT), w.find(LayerTensor.O_BIAS).orElse(null), false);
    }

    /** {@code [.., d]} with features {@code 0, 2, 4, …} then {@code 1, 3, 5, …}. */
    private static NDArray deinterleave(NDArray x) {
        Shape s = x.getShape();
        long d = s.get(s.dimension() - 1);
        NDArray pairs = x.reshape(s.get(0), s.get(1), s.get(2), d / 2, 2);
        return NDArrays.concat(new NDList(pairs.get(new NDIndex("..., 0")), pairs.get(new NDIndex("..., 1"))), 3);
    }
}
