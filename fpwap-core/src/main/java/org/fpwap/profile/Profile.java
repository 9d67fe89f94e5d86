package org.fpwap.profile;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.fpwap.device.EngineInfo;

/**
 * Where a sweep's time and bytes went. Cheap enough to be always on: a handful of clock reads and
 * counter updates per microbatch.
 *
 * @param tokens real tokens processed
 * @param wallSeconds wall-clock time of the run
 * @param embedSeconds time of the embedding pass
 * @param weightBytesRead checkpoint weight bytes the streaming pass staged: every processed layer (see
 *     {@code layers}) plus the final norm when it is applied
 * @param residualBytesRead residual-buffer bytes read
 * @param residualBytesWritten residual-buffer bytes written
 * @param emittedBytes bytes of emits stored
 * @param layers per-layer breakdown, in layer order
 * @param transfers host/device copies per layer (absent: none); see {@link TransferCounts}
 * @param verifyWeightBytesRead checkpoint weight bytes the verify pass staged again (0 without verify)
 * @param pageAdvice whether the residual buffer's {@code madvise} calls reached the kernel, and how many it refused
 * @param microbatch how preflight chose the microbatch size (the rates it measured)
 */
public record Profile(long tokens, double wallSeconds, double embedSeconds, long weightBytesRead, long residualBytesRead,
        long residualBytesWritten, long emittedBytes, List<LayerProfile> layers, Map<Integer, TransferCounts> transfers,
        long verifyWeightBytesRead, PageAdviceReport pageAdvice, MicrobatchProbe microbatch) {

    public Profile {
        layers = List.copyOf(layers);
        transfers = Map.copyOf(transfers);
        java.util.Objects.requireNonNull(pageAdvice, "pageAdvice is null");
        java.util.Objects.requireNonNull(microbatch, "microbatch is null");
    }

    /** A profile without a record of the microbatch choice. */
    public Profile(long tokens, double wallSeconds, double embedSeconds, long weightBytesRead, long residualBytesRead,
            long residualBytesWritten, long emittedBytes, List<LayerProfile> layers, Map<Integer, TransferCounts> transfers,
            long verifyWeightBytesRead, PageAdviceReport pageAdvice) {
        this(tokens, wallSeconds, embedSeconds, weightBytesRead, residualBytesRead, residualBytesWritten, emittedBytes, layers,
                transfers, verifyWeightBytesRead, pageAdvice, MicrobatchProbe.none("not recorded"));
    }

    /** The process's CPU time summed over layers, user and system. */
    public CpuTimes cpuTotals() {
        return layers.stream().map(LayerProfile::cpu).reduce(CpuTimes.ZERO, CpuTimes::plus);
    }

    /** A profile of a run without device copies or a verify pass. */
    public Profile(long tokens, double wallSeconds, double embedSeconds, long weightBytesRead, long residualBytesRead,
            long residualBytesWritten, long emittedBytes, List<LayerProfile> layers) {
        this(tokens, wallSeconds, embedSeconds, weightBytesRead, residualBytesRead, residualBytesWritten, emittedBytes, layers,
                Map.of(), 0, PageAdviceReport.UNKNOWN);
    }

    /** Host/device copies of {@code layer} (zero on CPU). */
    public TransferCounts transfers(int layer) {
        return transfers.getOrDefault(layer, TransferCounts.ZERO);
    }

    /** Host/device copies of the whole run (zero on CPU). */
    public TransferCounts transferTotals() {
        return transfers.values().stream().reduce(TransferCounts.ZERO, TransferCounts::plus);
    }

    /** Real tokens per second of wall time. */
    public double tokensPerSecond() {
        return wallSeconds > 0 ? tokens / wallSeconds : 0;
    }

    /** The JSON written as {@code profile.json}. */
    public String toJson() {
        // The engine is process-wide (one libtorch per JVM), so the one loaded now is the one the run used.
        return toJson(EngineInfo.current());
    }

    /** {@code profile.json} naming {@code engine} as the one that ran (a seam for tests of other engines). */
    public String toJson(EngineInfo engine) {
        JsonObject o = new JsonObject();
        o.addProperty("tokens", tokens);
        o.addProperty("wall_s", wallSeconds);
        o.addProperty("tok_per_s", tokensPerSecond());
        o.addProperty("embed_s", embedSeconds);
        o.addProperty("weight_bytes_read", weightBytesRead);
        o.addProperty("verify_weight_bytes_read", verifyWeightBytesRead);
        o.addProperty("residual_bytes_read", residualBytesRead);
        o.addProperty("residual_bytes_written", residualBytesWritten);
        o.addProperty("emitted_bytes", emittedBytes);
        transferTotals().addTo(o);
        o.addProperty("user_s", cpuTotals().userSeconds());
        o.addProperty("sys_s", cpuTotals().systemSeconds());
        o.add("microbatch", microbatch.toJson());
        JsonArray array = new JsonArray();
        for (LayerProfile l : layers) {
            JsonObject j = new JsonObject();
            j.addProperty("layer", l.layer());
            j.addProperty("load_s", l.loadSeconds());
            j.addProperty("load_wait_s", l.loadWaitSeconds());
            j.addProperty("forward_s", l.forwardSeconds());
            j.addProperty("callbacks_s", l.callbackSeconds());
            j.addProperty("io_s", l.ioSeconds());
            j.addProperty("weight_bytes_read", l.weightBytesRead());
            j.addProperty("user_s", l.cpu().userSeconds());
            j.addProperty("sys_s", l.cpu().systemSeconds());
            transfers(l.layer()).addTo(j);
            array.add(j);
        }
        o.add("layers", array);
        JsonObject advice = new JsonObject();
        advice.addProperty("native", pageAdvice.nativeAdvice());
        advice.addProperty("failures", pageAdvice.failures());
        o.add("page_advice", advice);
        o.add("engine", engine.toJson());
        return new GsonBuilder().setPrettyPrinting().create().toJson(o) + "\n";
    }

    /**
     * Per-phase seconds summed over layers.
     *
     * @param load worker time reading and decoding weights
     * @param loadWait compute time spent waiting for weights
     * @param forward block forward time, callbacks excluded
     * @param callbacks callback time
     * @param io residual buffer I/O time
     */
    public record PhaseTotals(double load, double loadWait, double forward, double callbacks, double io) {}

    /** The per-layer phases summed over layers. */
    public PhaseTotals totals() {
        double load = 0;
        double wait = 0;
        double forward = 0;
        double callbacks = 0;
        double io = 0;
        for (LayerProfile l : layers) {
            load += l.loadSeconds();
            wait += l.loadWaitSeconds();
            forward += l.forwardSeconds();
            callbacks += l.callbackSeconds();
            io += l.ioSeconds();
        }
        return new PhaseTotals(load, wait, forward, callbacks, io);
    }

    /** A few lines for a terminal. */
    public String summary() {
        PhaseTotals t = totals();
        return String.format(Locale.ROOT, "%,d tokens in %.2f s (%,.0f tok/s); embed %.2f s, forward %.2f s, callbacks %.2f s, "
                        + "residual I/O %.2f s, weight load %.2f s (waited %.2f s); weights read %,d B, residual %,d B read / %,d B written, emitted %,d B",
                tokens, wallSeconds, tokensPerSecond(), embedSeconds, t.forward(), t.callbacks(), t.io(), t.load(), t.loadWait(),
                weightBytesRead, residualBytesRead, residualBytesWritten, emittedBytes)
                + (verifyWeightBytesRead > 0 ? String.format(Locale.ROOT, "; verify pass read %,d B of weights", verifyWeightBytesRead) : "")
                + (pageAdvice.failures() > 0 ? String.format(Locale.ROOT, "; %,d madvise calls refused", pageAdvice.failures()) : "")
                + transferSummary();
    }

    /** The device copies, for the summary; nothing where there were none (CPU). */
    private String transferSummary() {
        TransferCounts t = transferTotals();
        if (t.uploadBytes() == 0 && t.downloadBytes() == 0) {
            return "";
        }
        return String.format(Locale.ROOT, "; uploaded %,d B in %.2f s (weights %,d B in %.2f s), downloaded %,d B in %.2f s",
                t.uploadBytes(), t.uploadSeconds(), t.weightUploadBytes(), t.weightUploadSeconds(), t.downloadBytes(), t.downloadSeconds());
    }
}
