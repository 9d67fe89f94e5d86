package org.fpwap.forward;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;

/** Rotary position embedding, HF rotate_half convention: {@code x·cos + rotate_half(x)·sin}. */
final class Rope {

    private Rope() {}

    /**
     * @param x {@code [B, T, heads, d]}
     * @param cos {@code [B, T, 1, d]}
     * @param sin {@code [B, T, 1, d]}
     */
    static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
        long d = x.getShape().get(3);
        long half = d / 2;
        NDArray first = x.get(new NDIndex("..., :{}", half));
        NDArray second = x.get(new NDIndex("..., {}:", half));
        NDArray rotated = NDArrays.concat(new NDList(second.neg(), first), -1);
        return x.mul(cos).add(rotated.mul(sin));
    }
}
