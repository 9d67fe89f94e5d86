package org.fpwap.sweep;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import org.fpwap.device.Devices;
import org.fpwap.forward.BlockForward;
import org.fpwap.forward.ForwardContext;
import org.fpwap.forward.HookHandler;
import org.fpwap.forward.Microbatch;
import org.fpwap.forward.PaddingSide;
import org.fpwap.model.ModelSpec;
import org.fpwap.safetensors.Checkpoint;
import org.fpwap.weights.LayerLayout;
import org.fpwap.weights.LayerWeights;
import org.fpwap.weights.WeightLoader;

/**
 * Layer 0 of a checkpoint staged on the run's device, for timing block forwards of random inputs at chosen
 * sizes (the microbatch chooser's measurements). Owns its checkpoint, staging arena, NDManager and weights;
 * one close frees them all. Used from the thread that created it only.
 */
final class ForwardProbe implements AutoCloseable {

    /** A forward shorter than this is timed again and the faster taken: short timings are the noisiest. */
    private static final double REPEAT_BELOW_SECONDS = 0.2;

    private final ModelSpec spec;
    private final Checkpoint checkpoint;
    private final NDManager manager;
    private final Arena arena;
    private final LayerWeights weights;
    private final BlockForward block;
    private final double stageSeconds;
    private final long createdNanos = System.nanoTime();
    private boolean warm;

    ForwardProbe(Path model, ModelSpec spec, Device device) {
        this.spec = spec;
        this.block = new BlockForward(spec);
        Devices.prepareComputeThread();
        Checkpoint opened = Checkpoint.open(model);
        NDManager m = null;
        Arena a = null;
        boolean success = false;
        try {
            m = NDManager.newBaseManager(device);
            a = Arena.ofConfined();
            WeightLoader loader = new WeightLoader(opened, spec);
            LayerLayout layout = loader.layout(0);
            MemorySegment slot = a.allocate(Math.max(1, layout.bytes()), LayerLayout.ALIGNMENT);
            long t0 = System.nanoTime();
            long bytes = loader.stage(layout, slot);
            this.stageSeconds = (System.nanoTime() - t0) / 1e9;
            this.weights = loader.wrap(layout, slot, bytes, m, null);
            success = true;
        } finally {
            if (!success) {
                // NDManager before the arena: a tensor wrapping staged memory must not outlive it.
                if (m != null) {
                    m.close();
                }
                if (a != null) {
                    a.close();
                }
                opened.close();
            }
        }
        this.checkpoint = opened;
        this.manager = m;
        this.arena = a;
    }

    /** Seconds it took to read and decode layer 0 (what one layer's load costs, for the time estimate). */
    double stageSeconds() {
        return stageSeconds;
    }

    /** Wall seconds since this probe was created: staging, warm-up and every timed forward, repetitions included. */
    double elapsedSeconds() {
        return (System.nanoTime() - createdNanos) / 1e9;
    }

    /** Seconds for one block forward of {@code samples} prompts of {@code width} real tokens (best of two when short). */
    double seconds(int samples, int width) {
        long[] ids = new long[samples];
        Arrays.setAll(ids, i -> i);
        int[] lengths = new int[samples];
        Arrays.fill(lengths, width);
        return seconds(Microbatch.ofLengths(ids, lengths, PaddingSide.RIGHT));
    }

    /** Seconds for one block forward of {@code mb} on random inputs (best of two when short). */
    double seconds(Microbatch mb) {
        int samples = mb.size();
        int width = mb.width();
        if (!warm) {
            warmUp(width);
            warm = true;
        }
        try (NDManager scope = manager.newSubManager()) {
            NDArray input = scope.randomNormal(new Shape(samples, width, spec.hiddenSize()));
            ForwardContext ctx = ForwardContext.create(spec, mb, scope);
            double best = timeOnce(input, ctx);
            if (best < REPEAT_BELOW_SECONDS) {
                best = Math.min(best, timeOnce(input, ctx));
            }
            return best;
        }
    }

    /** One untimed forward of a single prompt: the first call pays one-off setup, whatever its size. */
    private void warmUp(int width) {
        Microbatch one = Microbatch.ofLengths(new long[] {0}, new int[] {width}, PaddingSide.RIGHT);
        try (NDManager scope = manager.newSubManager()) {
            NDArray input = scope.randomNormal(new Shape(1, width, spec.hiddenSize()));
            block.forward(weights, input, ForwardContext.create(spec, one, scope), HookHandler.NONE).close();
        }
    }

    private double timeOnce(NDArray input, ForwardContext ctx) {
        long t0 = System.nanoTime();
        NDArray out = block.forward(weights, input, ctx, HookHandler.NONE);
        try (out; NDArray total = out.sum()) {
            total.getFloat(); // on a GPU ops are asynchronous: a scalar read waits for the result
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    @Override
    public void close() {
        try (checkpoint; arena; manager; weights) {
            // closed in reverse: weights, manager, then the arena their tensors wrap, then the checkpoint
        }
    }
}
