package org.fpwap.sweep;

import java.util.List;
import java.util.Locale;
import org.fpwap.profile.MicrobatchProbe;

/**
 * What a sweep will do and whether it can, from headers, a scan of the dataset, the device's memory and
 * a measured probe (one layer's load and one microbatch's forward).
 *
 * @param blockers problems that stop the run, each saying what to change
 * @param warnings things worth knowing that do not stop it
 * @param device the compute device
 * @param engine the PyTorch engine that will run it (version, flavour, where it was loaded from), or why it is unknown
 * @param tf32 whether TF32 could be in effect (it must be off for exact FP32; see {@code Devices.TF32_STATEMENT})
 * @param memoryBudget device bytes the plan may use
 * @param samples prompts
 * @param tokens real tokens
 * @param layers layers that will run (0 through the deepest any callback needs)
 * @param microbatchSamples at most this many prompts per microbatch
 * @param tokenBudget at most this many padded token slots per microbatch
 * @param microbatches microbatches per layer
 * @param peakDeviceBytes the memory model's peak (weights on the device + the largest microbatch)
 * @param weightBytes checkpoint bytes those layers read, once each
 * @param residualBytes size of the on-disk residual buffer
 * @param estimatedSeconds the estimated wall time, or NaN when there was nothing to measure
 * @param bottleneck what bounds the estimate: "compute" or "weight load"
 * @param diskBytes the estimated peak disk use in the work directory: residual buffer, activation files, export
 *     copies and artifacts (0 when the dataset could not be scanned)
 * @param microbatchChoice how the microbatch size was chosen: the block-forward rates measured at candidate sizes
 */
public record Plan(List<String> blockers, List<String> warnings, String device, String engine, String tf32, long memoryBudget, int samples, long tokens,
        int layers, int microbatchSamples, long tokenBudget, int microbatches, long peakDeviceBytes, long weightBytes,
        long residualBytes, double estimatedSeconds, String bottleneck, long diskBytes, MicrobatchProbe microbatchChoice) {

    public Plan {
        blockers = List.copyOf(blockers);
        warnings = List.copyOf(warnings);
        java.util.Objects.requireNonNull(microbatchChoice, "microbatchChoice is null");
    }

    /** A plan whose microbatch size was not chosen by measurement. */
    public Plan(List<String> blockers, List<String> warnings, String device, String engine, String tf32, long memoryBudget, int samples,
            long tokens, int layers, int microbatchSamples, long tokenBudget, int microbatches, long peakDeviceBytes, long weightBytes,
            long residualBytes, double estimatedSeconds, String bottleneck, long diskBytes) {
        this(blockers, warnings, device, engine, tf32, memoryBudget, samples, tokens, layers, microbatchSamples, tokenBudget, microbatches,
                peakDeviceBytes, weightBytes, residualBytes, estimatedSeconds, bottleneck, diskBytes, MicrobatchProbe.none("not measured"));
    }

    /** Whether nothing blocks the run. */
    public boolean feasible() {
        return blockers.isEmpty();
    }

    /** A readable account of the plan. */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        sb.append(feasible() ? "plan: feasible\n" : "plan: NOT feasible\n");
        sb.append(String.format(Locale.ROOT, "  data:        %,d prompts, %,d tokens%n", samples, tokens));
        sb.append(String.format(Locale.ROOT, "  schedule:    %d layers x %,d microbatches (<= %d prompts%s each)%n",
                layers, microbatches, microbatchSamples,
                tokenBudget == Long.MAX_VALUE ? "" : String.format(Locale.ROOT, ", <= %,d token slots", tokenBudget)));
        if (!microbatchChoice.rates().isEmpty()) {
            sb.append(String.format(Locale.ROOT, "  microbatch:  %s%n", microbatchChoice.summary()));
        }
        sb.append(String.format(Locale.ROOT, "  device:      %s, budget %s, peak %s%n", device, bytes(memoryBudget),
                bytes(peakDeviceBytes)));
        sb.append(String.format(Locale.ROOT, "  engine:      %s%n", engine));
        sb.append(String.format(Locale.ROOT, "  TF32:        %s%n", tf32));
        sb.append(String.format(Locale.ROOT, "  weight I/O:  %s (each layer read once)%n", bytes(weightBytes)));
        sb.append(String.format(Locale.ROOT, "  residual:    %s on disk%n", bytes(residualBytes)));
        sb.append(String.format(Locale.ROOT, "  disk:        %s at peak, outputs included%n", bytes(diskBytes)));
        if (!Double.isNaN(estimatedSeconds)) {
            sb.append(String.format(Locale.ROOT, "  estimate:    %.1f s (bound by %s)%n", estimatedSeconds, bottleneck));
        }
        blockers.forEach(b -> sb.append("  blocker: ").append(b).append('\n'));
        warnings.forEach(w -> sb.append("  warning: ").append(w).append('\n'));
        return sb.toString();
    }

    /** Bytes with a binary unit, e.g. {@code 12.3 MiB}. */
    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
