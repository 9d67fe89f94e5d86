package org.fpwap.forward;

import static java.util.Objects.requireNonNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;
import org.fpwap.model.LayerSpec;
import org.fpwap.model.ModelSpec;
import org.fpwap.model.RopeSpec;

/**
 * The per-microbatch tensors blocks need: an additive attention mask per distinct attention window among
 * the model's layers, and rotary cos/sin tables per distinct RoPE (Gemma 3's local layers use another base,
 * DeepSeek's latent attention rotates a narrower part). Built once per microbatch in the caller's manager and
 * shared by all layers.
 */
public final class ForwardContext {

    /** Map key for layers without a window. */
    private static final int NO_WINDOW = Integer.MAX_VALUE;

    private final Microbatch microbatch;
    private final Map<Integer, NDArray> masks;
    private final Map<RopeSpec, RopeTables> ropes;

    /**
     * Rotary tables for one RoPE.
     *
     * @param cos {@code [B, T, 1, d]} cosines per position (times the scaling's attention factor, if any)
     * @param sin {@code [B, T, 1, d]} sines per position (likewise)
     */
    public record RopeTables(NDArray cos, NDArray sin) {
        public RopeTables {
            requireNonNull(cos, "cos is null");
            requireNonNull(sin, "sin is null");
        }
    }

    private ForwardContext(Microbatch microbatch, Map<Integer, NDArray> masks, Map<RopeSpec, RopeTables> ropes) {
        this.microbatch = microbatch;
        this.masks = masks;
        this.ropes = ropes;
    }

    /** The microbatch. */
    public Microbatch microbatch() {
        return microbatch;
    }

    /** {@code [B·T]}: whether each token slot of the padded microbatch holds a real token. */
    public boolean[] realTokens() {
        Microbatch mb = microbatch();
        boolean[] real = new boolean[mb.size() * mb.width()];
        for (int b = 0; b < mb.size(); b++) {
            int from = b * mb.width() + mb.offset(b);
            java.util.Arrays.fill(real, from, from + mb.length(b), true);
        }
        return real;
    }

    /** The additive mask {@code [B, 1, 1, T, T]} for layers with {@code window} (0 where allowed, -inf elsewhere). */
    public NDArray mask(OptionalInt window) {
        NDArray m = masks.get(window.orElse(NO_WINDOW));
        if (m == null) {
            throw new IllegalStateException("no mask for window " + window + "; the context was built for " + masks.keySet());
        }
        return m;
    }

    /** The rotary tables for {@code rope}. */
    public RopeTables rope(RopeSpec rope) {
        RopeTables t = ropes.get(rope);
        if (t == null) {
            throw new IllegalStateException("no rotary tables for " + rope);
        }
        return t;
    }

    /**
     * Builds the context for every layer of {@code spec}. Query {@code i} may attend key {@code j} of the same
     * row when both are real tokens, {@code j <= i}, and (with a sliding window W) {@code i - j < W} — HF's
     * window semantics. A pad query attends only itself so no softmax row is empty; its output is never read.
     */
    public static ForwardContext create(ModelSpec spec, Microbatch mb, NDManager manager) {
        Map<Integer, NDArray> masks = new LinkedHashMap<>();
        Map<RopeSpec, RopeTables> ropes = new LinkedHashMap<>();
        for (LayerSpec layer : spec.layers()) {
            int window = layer.attention().slidingWindow().orElse(NO_WINDOW);
            if (!masks.containsKey(window)) {
                masks.put(window, mask(mb, window, manager));
            }
            layer.attention().rope().ifPresent(rope -> {
                if (!ropes.containsKey(rope)) {
                    ropes.put(rope, ropeTables(rope, mb, manager));
                }
            });
        }
        return new ForwardContext(mb, Map.copyOf(masks), Map.copyOf(ropes));
    }

    private static NDArray mask(Microbatch mb, int window, NDManager manager) {
        int b = mb.size();
        int t = mb.width();
        float[] mask = new float[b * t * t];
        Arrays.fill(mask, Float.NEGATIVE_INFINITY);
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
        return manager.create(mask, new Shape(b, 1, 1, t, t));
    }

    private static RopeTables ropeTables(RopeSpec rope, Microbatch mb, NDManager manager) {
        int half = rope.rotaryDim() / 2;
        int d = 2 * half;
        int t = mb.width();
        int[] positions = mb.positions();
        float[] cos = new float[positions.length * d];
        float[] sin = new float[positions.length * d];
        for (int row = 0; row < mb.size(); row++) {
            // Scalings that switch on the sequence length (longrope) see each prompt's own length, as HF does
            // for a prompt run alone.
            double[] inv = rope.inverseFrequencies(mb.length(row));
            float attentionFactor = (float) rope.attentionFactor(mb.length(row));
            for (int slot = row * t; slot < (row + 1) * t; slot++) {
                int base = slot * d;
                for (int i = 0; i < half; i++) {
                    // HF forms the angle in FP32 (position × inv_freq); the FP32 product keeps parity
                    // with it at large positions where a double angle would drift from what HF rotates by.
                    float angle = (float) positions[slot] * (float) inv[i];
                    float c = (float) Math.cos(angle) * attentionFactor;
                    float s = (float) Math.sin(angle) * attentionFactor;
                    cos[base + i] = c;
                    cos[base + half + i] = c;
                    sin[base + i] = s;
                    sin[base + half + i] = s;
                }
            }
        }
        Shape shape = new Shape(mb.size(), mb.width(), 1, d);
        return new RopeTables(manager.create(cos, shape), manager.create(sin, shape));
    }
}
