package org.fpwap.sweep;

import org.fpwap.model.AttentionSpec;
import org.fpwap.model.LayerSpec;
import org.fpwap.model.MlpSpec;
import org.fpwap.model.ModelSpec;

/**
 * FP32 values per token slot that one block's sub-layers keep alive at their peak, by op, for the memory model:
 * what a mixture-of-experts layer adds (router logits and probabilities, each token's {@code topK} gathered rows,
 * expert intermediates and weighted outputs, the regrouped outputs, the shared expert) and what latent attention
 * adds (its compressed and decompressed projections).
 */
final class LayerWorkingSet {

    private LayerWorkingSet() {}

    /** The largest MLP working set per token slot over the model's layers. */
    static long largestMlpFloats(ModelSpec spec) {
        long max = 0;
        for (LayerSpec l : spec.layers()) {
            max = Math.max(max, mlpFloats(l.mlp(), spec.hiddenSize()));
        }
        return max;
    }

    /** The largest attention projection working set per token slot over the model's layers. */
    static long largestAttentionFloats(ModelSpec spec) {
        long max = 0;
        for (LayerSpec l : spec.layers()) {
            max = Math.max(max, attentionFloats(l.attention()));
        }
        return max;
    }

    static long mlpFloats(MlpSpec m, int hidden) {
        return switch (m) {
            case MlpSpec.Dense d -> 3L * d.intermediateSize();
            case MlpSpec.Moe e -> 2L * e.experts()
                    // per chosen expert: the gathered input row, gate, up, their product, the output and its weighted copy,
                    // then the regrouped copy and the sum
                    + (long) e.topK() * (4L * hidden + 3L * e.expertIntermediate())
                    + e.shared().map(s -> 3L * s.intermediateSize() + 2L * hidden + 1).orElse(0L);
        };
    }

    static long attentionFloats(AttentionSpec a) {
        return switch (a) {
            case AttentionSpec.Standard s -> 2L * (s.numHeads() + 2L * s.numKvHeads()) * s.headDim();
            // query (and its low-rank input), the compressed kv, its expansion, keys with the broadcast rope part,
            // values, each about twice (splits, rotations and concatenations copy)
            case AttentionSpec.Latent l -> 2L * (a.numHeads() * (2L * l.qkHeadDim() + l.qkNopeHeadDim() + 2L * l.vHeadDim())
                    + l.qLoraRank().orElse(0) + 2L * (l.kvLoraRank() + l.qkRopeHeadDim()));
        };
    }
}
