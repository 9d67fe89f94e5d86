package org.fpwap.forward;

import static java.util.Objects.requireNonNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Optional;
import org.fpwap.model.ModelSpec;
import org.fpwap.model.RopeSpec;

/**
 * The per-microbatch tensors every block needs: the additive attention mask and the rotary
 * cos/sin tables. Built once per microbatch in the caller's manager and shared by all layers.
 *
 * @param microbatch the microbatch
 * @param mask additive mask {@code [B, 1, 1, T, T]}: 0 where a query may attend a key, -inf elsewhere
 * @param ropeCos {@code [B, T, 1, d]} cosines per position, absent for learned positions
 * @param ropeSin {@code [B, T, 1, d]} sines per position, absent for learned positions
 */
public record ForwardContext(Microbatch microbatch, NDArray mask, Optional<NDArray> ropeCos, Optional<NDArray> ropeSin) {

    public ForwardContext {
        requireNonNull(microbatch, "microbatch is null");
        requireNonNull(mask, "mask is null");
        requireNonNull(ropeCos, "ropeCos is null");
        requireNonNull(ropeSin, "ropeSin is null");
    }

    /**
     * Builds the context. Query {@code i} may attend key {@code j} of the same row when both are real
     * tokens, {@code j <= i}, and (with a sliding window W) {@code i - j < W} — HF's window semantics.
     * A pad query attends only itself so no softmax row is empty; its output is never read.
     */
    public static ForwardContext create(ModelSpec spec, Microbatch mb, NDManager manager) {
        int b = mb.size();
        int t = mb.width();
        float[] mask = new float[b * t * t];
        Arrays.fill(mask, Float.NEGATIVE_INFINITY);
        int window = spec.slidingWindow().orElse(Integer.MAX_VALUE);
        for (int row = 0; row < b; row++) {
            int off = mb.offset(row);
            int end = off + mb.length(row);
            int base = row * t * t;
            for (int q = 0; q < t; q++) {
                if (q < off || q >= end) {
                    mask[base + q * t + q] = 0f;
                    continue;
                }
                int first = Math.max(off, q - window + 1);
                for (int k = first; k <= q; k++) {
                    mask[base + q * t + k] = 0f;
                }
            }
        }
        NDArray maskArray = manager.create(mask, new Shape(b, 1, 1, t, t));
        Optional<NDArray> cos = Optional.empty();
        Optional<NDArray> sin = Optional.empty();
        if (spec.rope().isPresent()) {
            NDArray[] cs = ropeTables(spec.rope().get(), mb, manager);
            cos = Optional.of(cs[0]);
            sin = Optional.of(cs[1]);
        }
        return new ForwardContext(mb, maskArray, cos, sin);
    }

    private static NDArray[] ropeTables(RopeSpec rope, Microbatch mb, NDManager manager) {
        double[] inv = rope.inverseFrequencies();
        int half = inv.length;
        int d = 2 * half;
        int[] positions = mb.positions();
        float[] cos = new float[positions.length * d];
        float[] sin = new float[positions.length * d];
        for (int slot = 0; slot < positions.length; slot++) {
            int base = slot * d;
            for (int i = 0; i < half; i++) {
                // HF forms the angle in FP32 (position × inv_freq); the FP32 product keeps parity
                // with it at large positions where a double angle would drift from what HF rotates by.
                float angle = (float) positions[slot] * (float) inv[i];
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                cos[base + i] = c;
                cos[base + half + i] = c;
                sin[base + i] = s;
                sin[base + half + i] = s;
            }
        }
        Shape shape = new Shape(mb.size(), mb.width(), 1, d);
        return new NDArray[] {manager.create(cos, shape), manager.create(sin, shape)};
    }
}
