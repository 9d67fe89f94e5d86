package org.fpwap.profile;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Accumulates a sweep's timings and byte counts; {@link #finish} turns them into a {@link Profile}.
 * Updated from the compute thread only (the prefetch worker's timing is handed over when the compute
 * thread takes the layer), so it needs no synchronisation.
 */
public final class ProfileRecorder {

    private static final class LayerTotals {
        double load;
        double wait;
        double forward;
        double callbacks;
        double io;
        long weightBytes;
        CpuTimes cpu = CpuTimes.ZERO;
        TransferCounts transfers = TransferCounts.ZERO;
    }

    private final TreeMap<Integer, LayerTotals> layers = new TreeMap<>();
    private final long startNanos = System.nanoTime();
    private double embedSeconds;
    private long residualRead;
    private long residualWritten;
    private long emitted;
    private long finalNormBytes;
    private long verifyWeightBytes;
    private PageAdviceReport pageAdvice = PageAdviceReport.UNKNOWN;
    private MicrobatchProbe microbatch = MicrobatchProbe.none("not recorded");

    private LayerTotals layer(int layer) {
        return layers.computeIfAbsent(layer, l -> new LayerTotals());
    }

    /** A layer's weights were taken: the worker's decode time, the compute thread's wait, and the bytes read. */
    public void layerLoaded(int layer, double loadSeconds, double waitSeconds, long bytes) {
        LayerTotals t = layer(layer);
        t.load += loadSeconds;
        t.wait += waitSeconds;
        t.weightBytes += bytes;
    }

    /** Block weights of {@code layer} copied to the device (not counted where tensors wrap host memory). */
    public void weightUpload(int layer, long bytes, double seconds) {
        layer(layer).transfers = layer(layer).transfers.plus(new TransferCounts(bytes, seconds, 0, 0, 0, 0));
    }

    /** Residual rows of a microbatch of {@code layer} copied to the device. */
    public void residualUpload(int layer, long bytes, double seconds) {
        layer(layer).transfers = layer(layer).transfers.plus(new TransferCounts(0, 0, bytes, seconds, 0, 0));
    }

    /** Residual rows of a microbatch of {@code layer} copied back to the host. */
    public void download(int layer, long bytes, double seconds) {
        layer(layer).transfers = layer(layer).transfers.plus(new TransferCounts(0, 0, 0, 0, bytes, seconds));
    }

    /** The final norm's weights were staged ({@code bytes} read from the checkpoint). */
    public void finalNormLoaded(long bytes) {
        finalNormBytes += bytes;
    }

    /** The verify pass staged {@code bytes} of checkpoint weights (a second read of every layer it recomputes). */
    public void verifyWeightsRead(long bytes) {
        verifyWeightBytes += bytes;
    }

    /** Records whether page advice reached the kernel and how many calls it refused. */
    public void pageAdvice(boolean nativeAdvice, long failures) {
        pageAdvice = new PageAdviceReport(nativeAdvice, failures);
    }

    /** Adds the process's CPU time (user and system, all threads) spent while {@code layer} ran. */
    public void cpu(int layer, CpuTimes spent) {
        layer(layer).cpu = layer(layer).cpu.plus(spent);
    }

    /** Records how preflight chose the microbatch size. */
    public void microbatch(MicrobatchProbe probe) {
        microbatch = java.util.Objects.requireNonNull(probe, "probe is null");
    }

    /** Adds block-forward time (callbacks excluded) to {@code layer}. */
    public void forward(int layer, double seconds) {
        layer(layer).forward += seconds;
    }

    /** Adds callback time to {@code layer}. */
    public void callbacks(int layer, double seconds) {
        layer(layer).callbacks += seconds;
    }

    /** Callback seconds recorded so far for {@code layer} (to separate them from the forward that called them). */
    public double callbackSeconds(int layer) {
        LayerTotals t = layers.get(layer);
        return t == null ? 0 : t.callbacks;
    }

    /** Adds residual-buffer I/O time to {@code layer}. */
    public void io(int layer, double seconds) {
        layer(layer).io += seconds;
    }

    /** Adds the embedding pass's time. */
    public void embed(double seconds) {
        embedSeconds += seconds;
    }

    /** Counts residual-buffer bytes moved. */
    public void residual(long bytesRead, long bytesWritten) {
        residualRead += bytesRead;
        residualWritten += bytesWritten;
    }

    /** Counts emitted bytes stored. */
    public void emitted(long bytes) {
        emitted += bytes;
    }

    /** The profile so far, with the wall time since this recorder was created. */
    public Profile finish(long tokens) {
        List<LayerProfile> out = new ArrayList<>();
        Map<Integer, TransferCounts> transfers = new HashMap<>();
        long weightBytes = finalNormBytes;
        for (var e : layers.entrySet()) {
            LayerTotals t = e.getValue();
            out.add(new LayerProfile(e.getKey(), t.load, t.wait, t.forward, t.callbacks, t.io, t.weightBytes, t.cpu));
            weightBytes += t.weightBytes;
            if (!t.transfers.equals(TransferCounts.ZERO)) {
                transfers.put(e.getKey(), t.transfers);
            }
        }
        return new Profile(tokens, (System.nanoTime() - startNanos) / 1e9, embedSeconds, weightBytes, residualRead,
                residualWritten, emitted, out, transfers, verifyWeightBytes, pageAdvice, microbatch);
    }
}
