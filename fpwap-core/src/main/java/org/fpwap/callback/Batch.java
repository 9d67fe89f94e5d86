package org.fpwap.callback;

import static java.util.Objects.requireNonNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Optional;
import java.util.OptionalLong;
import org.fpwap.forward.ExpertRouting;
import org.fpwap.forward.Hook;
import org.fpwap.forward.Microbatch;

/**
 * What a callback sees for one microbatch at one (layer, hook). The activation and anything derived
 * from it live only until the callback returns (they belong to the block's scratch scope); state that
 * must outlive the call is copied to the host.
 */
public final class Batch {

    private final int layer;
    private final Hook hook;
    private final NDArray activations;
    private final Microbatch microbatch;
    private final OptionalLong[] labels;
    private final ExpertRouting routing;

    /**
     * @param activations {@code [B, T, H]} FP32 on the compute device
     * @param labels each row's dataset label
     */
    public Batch(int layer, Hook hook, NDArray activations, Microbatch microbatch, OptionalLong[] labels) {
        this(layer, hook, activations, microbatch, labels, null);
    }

    /**
     * @param activations {@code [B, T, H]} FP32 on the compute device
     * @param labels each row's dataset label
     * @param routing the layer's expert routing when it is a mixture-of-experts layer and the router already ran
     *     (at {@code mlp_out} and {@code residual_post}), else null
     */
    public Batch(int layer, Hook hook, NDArray activations, Microbatch microbatch, OptionalLong[] labels,
            ExpertRouting routing) {
        this.routing = routing;
        this.layer = layer;
        this.hook = requireNonNull(hook, "hook is null");
        this.activations = requireNonNull(activations, "activations is null");
        this.microbatch = requireNonNull(microbatch, "microbatch is null");
        this.labels = labels.clone();
    }

    /** The block index. */
    public int layer() {
        return layer;
    }

    /** The hook. */
    public Hook hook() {
        return hook;
    }

    /** {@code [B, T, H]} FP32 on the compute device; pad positions hold meaningless values. */
    public NDArray activations() {
        return activations;
    }

    /**
     * At a mixture-of-experts layer's {@code mlp_out} and {@code residual_post}: which experts the router chose for
     * every token of the microbatch and their weights (what MoE interpretability records). Empty at dense layers and
     * at the hooks before the router runs ({@code residual_pre}, {@code attn_out}).
     */
    public Optional<ExpertRouting> routing() {
        return Optional.ofNullable(routing);
    }

    /** The padded microbatch: sample ids, real lengths, where each row's real tokens start. */
    public Microbatch microbatch() {
        return microbatch;
    }

    /** Number of samples B. */
    public int size() {
        return microbatch.size();
    }

    /** Dataset id of row {@code b}. */
    public long sampleId(int b) {
        return microbatch.sampleId(b);
    }

    /** Real token count of row {@code b}. */
    public int length(int b) {
        return microbatch.length(b);
    }

    /** Dataset label of row {@code b}, if the dataset has one for it. */
    public OptionalLong label(int b) {
        return labels[b];
    }

    /** The manager temporaries should live in (the activation's scope). */
    public NDManager manager() {
        return activations.getManager();
    }

    /** {@code [B, T]} FP32: 1 at real tokens, 0 at pads. */
    public NDArray realTokenMask() {
        float[] mask = new float[microbatch.size() * microbatch.width()];
        for (int b = 0; b < microbatch.size(); b++) {
            int from = b * microbatch.width() + microbatch.offset(b);
            java.util.Arrays.fill(mask, from, from + microbatch.length(b), 1f);
        }
        return manager().create(mask, new Shape(microbatch.size(), microbatch.width()));
    }

    /** {@code [B, H]}: each row's last real token, whatever the padding side. */
    public NDArray lastRealToken() {
        long[] index = new long[microbatch.size()];
        for (int b = 0; b < index.length; b++) {
            index[b] = (long) b * microbatch.width() + microbatch.offset(b) + microbatch.length(b) - 1;
        }
        long h = activations.getShape().get(2);
        NDArray flat = activations.reshape(-1, h);
        return flat.get(manager().create(index).toType(DataType.INT64, false));
    }

    /** {@code [B, H]}: each row's mean over its real tokens (FP32 sum on the device). */
    public NDArray meanOverRealTokens() {
        NDArray mask = realTokenMask().expandDims(2);
        NDArray sum = activations.mul(mask).sum(new int[] {1});
        float[] lengths = new float[microbatch.size()];
        for (int b = 0; b < lengths.length; b++) {
            lengths[b] = microbatch.length(b);
        }
        return sum.div(manager().create(lengths, new Shape(lengths.length, 1)));
    }
}
