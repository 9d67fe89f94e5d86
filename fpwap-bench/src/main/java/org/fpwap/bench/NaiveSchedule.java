package org.fpwap.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fpwap.device.Devices;
import org.fpwap.forward.BlockForward;
import org.fpwap.forward.Embedder;
import org.fpwap.forward.ForwardContext;
import org.fpwap.forward.HookHandler;
import org.fpwap.forward.Microbatch;
import org.fpwap.forward.PaddingSide;
import org.fpwap.model.ModelSpec;
import org.fpwap.model.TensorRef;
import org.fpwap.safetensors.Checkpoint;
import org.fpwap.weights.LayerWeights;
import org.fpwap.weights.WeightLoader;

/**
 * The schedule {@code accelerate.cpu_offload} implements, built from core's public pieces: for each
 * microbatch, embed it, then for each layer read the layer's weights from the checkpoint, widen them to
 * FP32 and wrap them ({@link WeightLoader#loadLayer}), run the block, free the weights. Weight I/O is
 * microbatches × layers loads, all on the compute thread (cpu_offload has no prefetch either).
 *
 * <p>With {@code evictEachLoad}, every layer's pages are dropped from the page cache right before it is
 * loaded (unmapped from this process with {@code madvise}, then {@code posix_fadvise DONTNEED} on the
 * files), so each load reads the disk, as it would for a model larger than RAM. The eviction calls
 * themselves are timed apart and excluded from the reported time.
 */
public final class NaiveSchedule {

    /** What a naive run did. */
    public record Outcome(double seconds, double evictSeconds, double loadSeconds, double forwardSeconds, long weightBytesRead,
            long layerLoads, long realTokens, double checksum) {}

    private NaiveSchedule() {}

    /**
     * Runs {@code microbatches} (token ids per sample; each inner list is one microbatch) through every layer.
     */
    public static Outcome run(Path modelDir, ModelSpec spec, List<List<int[]>> microbatches, boolean evictEachLoad) {
        Devices.prepareComputeThread();
        long start = System.nanoTime();
        long evictNanos = 0;
        long loadNanos = 0;
        long forwardNanos = 0;
        long bytes = 0;
        long loads = 0;
        long tokens = 0;
        double checksum = 0;
        try (Checkpoint checkpoint = Checkpoint.open(modelDir); NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            WeightLoader loader = new WeightLoader(checkpoint, spec);
            Embedder embedder = new Embedder(spec, loader.tokenEmbedding(), loader.positionEmbedding());
            BlockForward block = new BlockForward(spec);
            List<List<MemorySegment>> layerSegments = new ArrayList<>();
            for (int l = 0; l < spec.numLayers(); l++) {
                List<MemorySegment> segs = new ArrayList<>();
                for (TensorRef ref : loader.names().layerTensors(l)) {
                    segs.add(checkpoint.data(ref.name()));
                }
                layerSegments.add(segs);
            }
            long id = 0;
            for (List<int[]> prompts : microbatches) {
                long[] ids = new long[prompts.size()];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = id++;
                }
                Microbatch mb = new Microbatch(ids, prompts, PaddingSide.RIGHT);
                tokens += mb.realTokens();
                try (NDManager scope = manager.newSubManager()) {
                    ForwardContext ctx = ForwardContext.create(spec, mb, scope);
                    NDArray hidden = embedder.embed(mb, scope);
                    for (int l = 0; l < spec.numLayers(); l++) {
                        if (evictEachLoad) {
                            long e0 = System.nanoTime();
                            layerSegments.get(l).forEach(PageCache::unmapPages);
                            PageCache.evict(checkpoint.files());
                            evictNanos += System.nanoTime() - e0;
                        }
                        long t0 = System.nanoTime();
                        try (LayerWeights w = loader.loadLayer(l, scope)) {
                            long t1 = System.nanoTime();
                            bytes += w.bytesRead();
                            loads++;
                            NDArray next = block.forward(w, hidden, ctx, HookHandler.NONE);
                            hidden.close();
                            hidden = next;
                            long t2 = System.nanoTime();
                            loadNanos += t1 - t0;
                            forwardNanos += t2 - t1;
                        }
                    }
                    // The output comes back to the host, as cpu_offload's does (and it forces the computation).
                    float[] out = hidden.toFloatArray();
                    checksum += out[0] + out[out.length - 1];
                }
            }
        }
        double total = (System.nanoTime() - start) / 1e9;
        return new Outcome(total - evictNanos / 1e9, evictNanos / 1e9, loadNanos / 1e9, forwardNanos / 1e9, bytes, loads, tokens,
                checksum);
    }
}
