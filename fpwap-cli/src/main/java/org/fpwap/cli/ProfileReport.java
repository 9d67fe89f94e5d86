package org.fpwap.cli;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.fpwap.model.ModelSpec;
import org.fpwap.profile.CpuTimes;
import org.fpwap.profile.LayerProfile;
import org.fpwap.profile.Profile;

/** The profile as a small table for the end of a CLI run: phases, slowest layers, bytes moved, rates. */
final class ProfileReport {

    private ProfileReport() {}

    static String render(Profile p, ModelSpec spec) {
        Profile.PhaseTotals t = p.totals();
        double forward = t.forward();
        // Dense GEMM work only (2 × parameters × tokens per layer); attention scores add a little more.
        double flops = 2.0 * spec.activeParametersPerLayer() * p.tokens() * p.layers().size();
        StringBuilder sb = new StringBuilder("profile:\n");
        sb.append(String.format(Locale.ROOT, "  %-28s %9.2f s%n", "wall", p.wallSeconds()));
        sb.append(String.format(Locale.ROOT, "  %-28s %9.2f s%n", "embed", p.embedSeconds()));
        sb.append(String.format(Locale.ROOT, "  %-28s %9.2f s%n", "forward", forward));
        sb.append(String.format(Locale.ROOT, "  %-28s %9.2f s%n", "callbacks", t.callbacks()));
        sb.append(String.format(Locale.ROOT, "  %-28s %9.2f s%n", "residual I/O", t.io()));
        sb.append(String.format(Locale.ROOT, "  %-28s %9.2f s (waited %.2f s)%n", "weight load (background)", t.load(), t.loadWait()));
        CpuTimes cpu = p.cpuTotals();
        if (cpu.userSeconds() + cpu.systemSeconds() > 0) {
            // A large system share means the run is paying for page faults and fresh mappings, not arithmetic.
            sb.append(String.format(Locale.ROOT, "  %-28s %9.2f s user, %.2f s system (%.0f%% system)%n", "cpu (process, layers)",
                    cpu.userSeconds(), cpu.systemSeconds(), 100 * cpu.systemSeconds() / (cpu.userSeconds() + cpu.systemSeconds())));
        }
        List<LayerProfile> slowest = p.layers().stream()
                .sorted(Comparator.comparingDouble((LayerProfile l) -> l.forwardSeconds() + l.callbackSeconds() + l.ioSeconds()
                        + l.loadWaitSeconds()).reversed())
                .limit(3).toList();
        for (LayerProfile l : slowest) {
            sb.append(String.format(Locale.ROOT, "  slow layer %-17d %9.2f s%n", l.layer(),
                    l.forwardSeconds() + l.callbackSeconds() + l.ioSeconds() + l.loadWaitSeconds()));
        }
        sb.append(String.format(Locale.ROOT, "  %-28s %,d B%n", "weights read", p.weightBytesRead()));
        if (p.verifyWeightBytesRead() > 0) {
            sb.append(String.format(Locale.ROOT, "  %-28s %,d B%n", "weights read again (verify)", p.verifyWeightBytesRead()));
        }
        sb.append(String.format(Locale.ROOT, "  %-28s %,d B read, %,d B written%n", "residual", p.residualBytesRead(),
                p.residualBytesWritten()));
        sb.append(String.format(Locale.ROOT, "  %-28s %,d B%n", "emitted", p.emittedBytes()));
        if (!p.pageAdvice().nativeAdvice() || p.pageAdvice().failures() > 0) {
            sb.append(String.format(Locale.ROOT, "  %-28s %s%n", "page advice", p.pageAdvice().nativeAdvice()
                    ? String.format(Locale.ROOT, "%,d madvise calls refused: resident memory may grow with the residual file",
                            p.pageAdvice().failures())
                    : "no madvise on this platform: resident memory may grow with the residual file"));
        }
        sb.append(String.format(Locale.ROOT, "  %-28s %,.0f tok/s%n", "throughput", p.tokensPerSecond()));
        sb.append(String.format(Locale.ROOT, "  %-28s %.1f GFLOP/s (dense GEMMs over forward time)", "achieved",
                forward > 0 ? flops / forward / 1e9 : 0));
        return sb.toString();
    }
}
