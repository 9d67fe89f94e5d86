package org.fpwap.forward;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;

/**
 * Rotary position embedding, HF rotate_half convention: {@code x·cos + rotate_half(x)·sin}. When the tables
 * are narrower than the head (partial rotary, Phi-3), only the leading dimensions rotate and the rest pass
 * through, as HF's {@code apply_rotary_pos_emb} does with {@code rotary_dim}.
 */
final class Rope {

    private Rope() {}

    /**
     * @param x {@code [B, T, heads, d]}
     * @param cos {@code [B, T, 1, d]}
     * @param sin {@code [B, T, 1, d]}
     */
    static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
        long width = x.getShape().get(3);
        long d = cos.getShape().get(3);
        if (d < width) {
            NDArray rotated = apply(x.get(new NDIndex("..., :{}", d)), cos, sin);
            return NDArrays.concat(new NDList(rotated, x.get(new NDIndex("..., {}:", d))), -1);
        }
        long half = d / 2;
        NDArray first = x.get(new NDIndex("..., :{}", half));
        NDArray second = x.get(new NDIndex("..., {}:", half));
        NDArray rotated = NDArrays.concat(new NDList(second.neg(), first), -1);
        return x.mul(cos).add(rotated.mul(sin));
    }
}
