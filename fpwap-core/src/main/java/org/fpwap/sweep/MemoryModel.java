package org.fpwap.sweep;

import static java.util.Objects.requireNonNull;

import org.fpwap.model.ModelSpec;
import org.fpwap.weights.LayerLayout;
import org.fpwap.model.TensorNames;

/**
 * What a sweep holds in device memory: one layer's FP32 weights in each of the two prefetch staging slots
 * (on CPU the device tensors wrap the slots; on a GPU one layer is uploaded while the slots stay in host
 * RAM), plus one microbatch's working set. The working-set model counts the tensors alive at the peak of a
 * block forward — the {@code [B,T,H]} activations the block keeps, plus the larger sub-layer: three {@code [B,T,I]}
 * MLP intermediates, or the q/k/v projections and one attention score chunk — and the attention mask. Mixture-of-experts
 * and latent-attention layers add their own intermediates ({@link LayerWorkingSet}).
 */
public final class MemoryModel {

    /** {@code [B,T,H]}-sized tensors the block keeps across its sub-layers (input, hook results, residual sums, output). */
    private static final int BLOCK_HIDDEN_COPIES = 6;
    /** {@code [B,T,H]}-sized tensors inside one sub-layer (its norm, its output projection, a post-norm). */
    private static final int SUBLAYER_HIDDEN_COPIES = 3;
    /** {@code [B,T,I]}-sized tensors alive at the MLP's peak (gate, up, their product). */
    private static final int MLP_COPIES = 3;

    /**
     * Resident bytes per counted working-set byte on CPU. libtorch's CPU tensors come from the C allocator, which
     * keeps freed chunks below its mmap threshold resident for reuse and fragments between ops of different sizes,
     * so the process's anonymous memory rises by about twice the live tensors: measured with {@code PlanPeakMemoryTest}
     * (child JVM, peak {@code RssAnon} above the started engine) at H = 512 and 1024, 16 prompts of up to 64
     * tokens: 2.4x and 2.3x the counted tensors (with sub-layer scopes; 2.1x and 2.1x when the whole block shared
     * one scope and the count was the sum of both sub-layers), and 2.0x at H = 768 with twice the microbatch, which
     * was not used to set it. Not measured on a GPU (its caching allocator differs), where the factor is 1.
     */
    static final double CPU_ALLOCATOR_FACTOR = 2.2;

    private final ModelSpec spec;
    private final long layerBytes;

    /** A model of {@code spec}'s memory use. */
    public MemoryModel(ModelSpec spec) {
        this.spec = requireNonNull(spec, "spec is null");
        TensorNames names = TensorNames.withPrefix(spec, "");
        long largest = 0;
        for (int l = 0; l < spec.numLayers(); l++) {
            largest = Math.max(largest, LayerLayout.of(l, names.layer(l)).bytes());
        }
        this.layerBytes = largest;
    }

    /** The largest block's weights in FP32 (the staging layout, alignment included). */
    public long layerFp32Bytes() {
        return layerBytes;
    }

    /** The weights a running sweep keeps on the device: two staged layers on CPU/MPS, one on a GPU. */
    public long weightBytesOnDevice(boolean gpu) {
        return (gpu ? 1 : 2) * layerBytes;
    }

    /**
     * Peak working set of a microbatch of {@code samples} prompts padded to {@code width} tokens. Each sub-layer runs in
     * a scope of its own ({@code BlockForward}), so the peak is what the block keeps plus the larger of the attention's
     * and the MLP's intermediates, not their sum.
     */
    public long workingSetBytes(int samples, int width) {
        long slots = (long) samples * width;
        long hidden = spec.hiddenSize();
        long qkv = (long) (spec.numHeads() + 2 * spec.numKvHeads()) * spec.headDim();
        long scores = Math.min((long) samples * spec.numHeads() * width * width, 2 * (64L << 20) / Float.BYTES);
        long mask = (long) samples * width * width;
        long attention = slots * (SUBLAYER_HIDDEN_COPIES * hidden + Math.max(2 * qkv, LayerWorkingSet.largestAttentionFloats(spec)))
                + scores;
        long mlp = slots * (SUBLAYER_HIDDEN_COPIES * hidden
                + Math.max((long) MLP_COPIES * spec.intermediateSize(), LayerWorkingSet.largestMlpFloats(spec)));
        return (slots * BLOCK_HIDDEN_COPIES * hidden + mask + Math.max(attention, mlp)) * Float.BYTES;
    }

    /** Weights on the device plus one microbatch's working set (as the allocator holds it: see {@link #CPU_ALLOCATOR_FACTOR}). */
    public long peakBytes(boolean gpu, int samples, int width) {
        return weightBytesOnDevice(gpu) + residentWorkingSetBytes(gpu, samples, width);
    }

    /** The working set as the device's allocator holds it: {@link #workingSetBytes} times {@link #CPU_ALLOCATOR_FACTOR} on CPU. */
    public long residentWorkingSetBytes(boolean gpu, int samples, int width) {
        long working = workingSetBytes(samples, width);
        return gpu ? working : (long) (CPU_ALLOCATOR_FACTOR * working);
    }
}
