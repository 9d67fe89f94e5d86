package org.fpwap.sweep;

import static java.util.Objects.requireNonNull;

import ai.djl.ndarray.NDManager;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.fpwap.device.DeviceTransfer;
import org.fpwap.profile.ProfileRecorder;
import org.fpwap.weights.LayerLayout;
import org.fpwap.weights.LayerWeights;
import org.fpwap.weights.WeightLoader;

/**
 * Prepares the next layer's weights while the current one computes. One worker thread reads a block's
 * tensors from the mapped checkpoint and decodes them to FP32 into one of two reusable off-heap staging
 * slots (no allocation per layer); the compute thread then wraps the slot as device tensors. A slot
 * returns to the pool when the {@link LayerWeights} made from it are closed, so at most two layers are
 * staged at any time.
 */
final class Prefetcher implements AutoCloseable {

    /** A staged layer: which slot holds it, what reading it cost. */
    private record Staged(LayerLayout layout, MemorySegment slot, long bytesRead, double seconds) {}

    private final WeightLoader loader;
    private final Arena arena;
    private final BlockingQueue<MemorySegment> freeSlots;
    private final ExecutorService worker;
    private final ProfileRecorder profile;
    private Future<Staged> pending;
    private int pendingLayer = -1;

    /** Two slots of {@code slotBytes} each, and one worker thread. */
    Prefetcher(WeightLoader loader, long slotBytes, ProfileRecorder profile) {
        this.loader = requireNonNull(loader, "loader is null");
        this.profile = requireNonNull(profile, "profile is null");
        this.arena = Arena.ofShared();
        this.freeSlots = new ArrayBlockingQueue<>(2);
        boolean success = false;
        try {
            for (int i = 0; i < 2; i++) {
                freeSlots.add(arena.allocate(Math.max(1, slotBytes), LayerLayout.ALIGNMENT));
            }
            this.worker = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "fpwap-prefetch");
                t.setDaemon(true);
                return t;
            });
            success = true;
        } finally {
            if (!success) {
                arena.close();
            }
        }
    }

    /** Starts staging {@code layer} on the worker; it waits there for a free slot if both are in use. */
    void request(int layer) {
        if (pending != null) {
            throw new IllegalStateException("layer " + pendingLayer + " was requested but never taken");
        }
        LayerLayout layout = loader.layout(layer);
        pendingLayer = layer;
        pending = worker.submit(() -> {
            MemorySegment slot = freeSlots.take();
            boolean success = false;
            try {
                long start = System.nanoTime();
                long bytes = loader.stage(layout, slot);
                Staged staged = new Staged(layout, slot, bytes, (System.nanoTime() - start) / 1e9);
                success = true;
                return staged;
            } finally {
                if (!success) {
                    freeSlots.add(slot);
                }
            }
        });
    }

    /**
     * Waits for the requested {@code layer} and wraps it as device tensors in {@code manager}. Closing the
     * returned weights gives the slot back. Time spent waiting is the load that prefetch did not hide.
     */
    LayerWeights take(int layer, NDManager manager) {
        if (pending == null || pendingLayer != layer) {
            throw new IllegalStateException("layer " + layer + " was not requested (pending: " + pendingLayer + ")");
        }
        long start = System.nanoTime();
        Staged staged;
        try {
            staged = pending.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while waiting for layer " + layer + "'s weights");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException("loading layer " + layer + " failed: " + e.getCause(), e.getCause());
        } finally {
            pending = null;
            pendingLayer = -1;
        }
        profile.layerLoaded(layer, staged.seconds(), (System.nanoTime() - start) / 1e9, staged.bytesRead());
        MemorySegment slot = staged.slot();
        long upload = System.nanoTime();
        LayerWeights weights = loader.wrap(staged.layout(), slot, staged.bytesRead(), manager, () -> freeSlots.add(slot));
        if (DeviceTransfer.to(manager.getDevice()).copies()) {
            profile.weightUpload(layer, fp32Bytes(staged.layout()), (System.nanoTime() - upload) / 1e9);
        }
        return weights;
    }

    /** The FP32 bytes {@link WeightLoader#wrap} uploads: every tensor of the layout, without the alignment gaps. */
    private static long fp32Bytes(LayerLayout layout) {
        return layout.refs().values().stream().mapToLong(r -> r.elementCount() * Float.BYTES).sum();
    }

    /**
     * Stops the worker (waiting for a staging in progress) and frees the slots. Every {@link LayerWeights}
     * taken from this prefetcher must be closed first: tensors must never outlive the memory they wrap,
     * so if one is still open the slots are deliberately not freed and this throws.
     */
    @Override
    public void close() {
        worker.shutdownNow();
        try {
            if (!worker.awaitTermination(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the prefetch thread did not stop within 60 s");
            }
            reclaimUntakenLayer();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while stopping the prefetch thread");
        }
        if (freeSlots.size() != 2) {
            throw new IllegalStateException("closing the prefetcher while layer weights made from its staging slots are "
                    + "still open; close them first (staging memory left allocated rather than freed under live tensors)");
        }
        arena.close();
    }

    private void reclaimUntakenLayer() throws InterruptedException {
        if (pending == null) {
            return;
        }
        try {
            if (!pending.isCancelled()) {
                freeSlots.add(pending.get().slot());
            }
        } catch (ExecutionException | CancellationException e) {
            // The staging failed or never ran; its slot was already returned.
        } finally {
            pending = null;
        }
    }
}
