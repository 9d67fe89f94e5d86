package org.fpwap.sweep;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.DoubleSupplier;
import org.fpwap.profile.MicrobatchProbe;

/**
 * Chooses the microbatch size from measured block-forward throughput within the memory budget. Larger is not
 * always faster: on CPU the GEMMs stop gaining past about a thousand rows while every tensor over the C
 * allocator's mmap threshold is mapped, zero-filled by the kernel and unmapped again on each op; on a GPU larger
 * keeps paying until memory runs out. The candidates double the token slots up to the largest that fits. The probe
 * starts where the device usually peaks ({@link #CPU_START_SLOTS} on CPU, the largest on a GPU) and climbs to a
 * neighbour only while that is faster by more than {@link #TIE}: so it measures two or three sizes, not all of them,
 * and a tie keeps the starting size (timing noise cannot flip the choice between runs of the same command).
 */
final class MicrobatchChooser {

    /** Measures one candidate: the seconds of one block forward of {@code samples} prompts of {@code width} tokens. */
    @FunctionalInterface
    interface ForwardTimer {
        double seconds(int samples, int width);
    }

    /** A neighbour must be faster than this share to be taken (timing noise on a quiet machine is a percent or two). */
    static final double TIE = 0.05;
    /** The smallest candidate, in token slots: below this the GEMMs are too thin to be worth timing. */
    static final long MIN_SLOTS = 256;
    /**
     * Where a CPU probe starts: about a thousand rows, where DJL's FP32 GEMM reaches its plateau on this kind of
     * machine (scripts/bench microbatch: the best fixed sizes were 764 token slots at H = 1024 and 2048).
     */
    static final long CPU_START_SLOTS = 1024;
    /** Stop measuring once the probe (staging, warm-up and timed forwards) has taken this long. */
    static final double TIME_CAP_SECONDS = 12;
    /**
     * Nor more than this share of the run's own forward time (estimated from the best rate so far): on a small
     * dataset, probing must not cost more than a better size could save.
     */
    static final double RUN_SHARE = 0.03;

    private final boolean gpu;

    /** A chooser for a GPU ({@code gpu}: start at the largest size) or a CPU (start near {@link #CPU_START_SLOTS}). */
    MicrobatchChooser(boolean gpu) {
        this.gpu = gpu;
    }

    /**
     * The candidate prompt counts at {@code width} tokens: those whose slots are {@link #MIN_SLOTS} × 2^k, and
     * {@code maxSamples} itself (the largest that fits), ascending and distinct.
     */
    static List<Integer> candidates(int maxSamples, int width) {
        List<Integer> out = new ArrayList<>();
        for (long slots = MIN_SLOTS; slots / width < maxSamples; slots *= 2) {
            int samples = (int) Math.max(1, slots / width);
            if (out.isEmpty() || out.getLast() < samples) {
                out.add(samples);
            }
        }
        if (out.isEmpty() || out.getLast() < maxSamples) {
            out.add(maxSamples);
        }
        return out;
    }

    /** The index in {@code candidates} where the probe starts: the largest on a GPU, the nearest to 1024 slots on CPU. */
    int startIndex(List<Integer> candidates, int width) {
        if (gpu) {
            return candidates.size() - 1;
        }
        int best = 0;
        for (int i = 1; i < candidates.size(); i++) {
            long slots = (long) candidates.get(i) * width;
            long bestSlots = (long) candidates.get(best) * width;
            if (Math.abs(Math.log((double) slots / CPU_START_SLOTS)) < Math.abs(Math.log((double) bestSlots / CPU_START_SLOTS))) {
                best = i;
            }
        }
        return best;
    }

    /**
     * Measures the starting candidate, then climbs: first toward smaller sizes (cheaper to time), and, if that
     * gained nothing, toward larger ones, moving on while each step is faster by more than {@link #TIE}. A size is
     * measured only if its forward (predicted from the best rate so far) still fits in what the probe may spend
     * ({@code probeSeconds}: the probe's own wall time so far, staging and warm-up included, against {@link #TIME_CAP_SECONDS} or {@link #RUN_SHARE} of the run's estimated
     * forward time, {@code runSlots} token slots through one block each, i.e. tokens × layers).
     */
    MicrobatchProbe choose(int maxSamples, int width, double runSlots, ForwardTimer timer, DoubleSupplier probeSeconds) {
        if (maxSamples < 1 || width < 1) {
            throw new IllegalArgumentException("need at least one prompt of one token, got " + maxSamples + " x " + width);
        }
        List<Integer> candidates = candidates(maxSamples, width);
        Map<Integer, MicrobatchProbe.Rate> measured = new TreeMap<>();
        int current = startIndex(candidates, width);
        MicrobatchProbe.Rate currentRate = measure(candidates.get(current), width, timer, measured);
        for (int step : new int[] {-1, +1}) {
            boolean moved = false;
            for (int i = current + step; i >= 0 && i < candidates.size(); i += step) {
                double rate = bestRate(measured);
                double budget = Math.min(TIME_CAP_SECONDS, RUN_SHARE * runSlots / rate);
                // Only a forward that fits in what is left: the last one must not overshoot the budget.
                double predicted = (double) candidates.get(i) * width / rate;
                if (probeSeconds.getAsDouble() + predicted > budget) {
                    break;
                }
                MicrobatchProbe.Rate next = measure(candidates.get(i), width, timer, measured);
                if (next.tokensPerSecond() <= (1 + TIE) * currentRate.tokensPerSecond()) {
                    break;
                }
                current = i;
                currentRate = next;
                moved = true;
            }
            if (moved) {
                break;
            }
        }
        String reason = currentRate.tokensPerSecond() >= bestRate(measured) ? "fastest measured"
                : String.format(Locale.ROOT, "no neighbour faster by more than %.0f%%", TIE * 100);
        return new MicrobatchProbe(List.copyOf(measured.values()), currentRate.samples(), width, reason);
    }

    private static MicrobatchProbe.Rate measure(int samples, int width, ForwardTimer timer, Map<Integer, MicrobatchProbe.Rate> measured) {
        MicrobatchProbe.Rate rate = new MicrobatchProbe.Rate(samples, width, timer.seconds(samples, width));
        measured.put(samples, rate);
        return rate;
    }

    private static double bestRate(Map<Integer, MicrobatchProbe.Rate> measured) {
        return measured.values().stream().mapToDouble(MicrobatchProbe.Rate::tokensPerSecond).max().orElse(0);
    }
}
