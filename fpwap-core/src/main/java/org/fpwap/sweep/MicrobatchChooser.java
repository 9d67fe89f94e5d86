package org.fpwap.sweep;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.fpwap.profile.MicrobatchProbe;

/**
 * Chooses the microbatch size from measured block-forward throughput within the memory budget. Larger is not
 * always faster: on CPU the GEMMs stop gaining past about a thousand rows while every tensor over the C
 * allocator's mmap threshold is mapped, zero-filled by the kernel and unmapped again on each op; on a GPU larger
 * keeps paying until memory runs out. So the candidates (doubling token-slot counts up to the largest that fits)
 * are timed and the fastest is taken; rates within {@link #TIE} of the fastest count as ties, broken toward the
 * smaller working set on CPU (less memory, fewer page faults) and the larger on a GPU.
 */
final class MicrobatchChooser {

    /** Measures one candidate: the seconds of one block forward of {@code samples} prompts of {@code width} tokens. */
    @FunctionalInterface
    interface ForwardTimer {
        double seconds(int samples, int width);
    }

    /** Rates this close to the fastest are ties (timing noise on a shared machine is a few percent). */
    static final double TIE = 0.05;
    /** Stop growing once a candidate is this much slower than the best so far: larger ones only get worse. */
    static final double GIVE_UP = 0.80;
    /** The smallest candidate, in token slots: below this the GEMMs are too thin to be worth timing. */
    static final long MIN_SLOTS = 256;
    /** Stop measuring once the probe forwards have taken this long; preflight must stay quick. */
    static final double TIME_CAP_SECONDS = 12;
    /**
     * Nor more than this share of the run's own forward time (estimated from the best rate so far): on a small
     * dataset, probing must not cost more than a better size could save.
     */
    static final double RUN_SHARE = 0.03;

    private final boolean preferSmaller;

    /** A chooser breaking ties toward smaller microbatches ({@code preferSmaller}, CPU) or larger ones (GPU). */
    MicrobatchChooser(boolean preferSmaller) {
        this.preferSmaller = preferSmaller;
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

    /**
     * Times the candidates up to {@code maxSamples} prompts of {@code width} tokens, smallest first, and chooses
     * one. Measuring stops early when a candidate falls below {@link #GIVE_UP} of the best rate so far or the
     * probe has used {@link #TIME_CAP_SECONDS} or {@link #RUN_SHARE} of the run's estimated forward time
     * ({@code runSlots} token slots through one block each, i.e. tokens × layers).
     */
    MicrobatchProbe choose(int maxSamples, int width, double runSlots, ForwardTimer timer) {
        if (maxSamples < 1 || width < 1) {
            throw new IllegalArgumentException("need at least one prompt of one token, got " + maxSamples + " x " + width);
        }
        List<MicrobatchProbe.Rate> rates = new ArrayList<>();
        double best = 0;
        double spent = 0;
        for (int samples : candidates(maxSamples, width)) {
            double seconds = timer.seconds(samples, width);
            MicrobatchProbe.Rate rate = new MicrobatchProbe.Rate(samples, width, seconds);
            rates.add(rate);
            spent += seconds;
            best = Math.max(best, rate.tokensPerSecond());
            // Probing is paid out of the run: a floor here cost a 64-prompt run 3-5 s of 7-20 s (measured, quiet machine).
            double budget = Math.min(TIME_CAP_SECONDS, RUN_SHARE * runSlots / best);
            if (rate.tokensPerSecond() < GIVE_UP * best || spent > budget) {
                break;
            }
        }
        return pick(rates, preferSmaller);
    }

    /** The fastest of {@code rates}, ties within {@link #TIE} broken by working-set size as this chooser prefers. */
    static MicrobatchProbe pick(List<MicrobatchProbe.Rate> rates, boolean preferSmaller) {
        MicrobatchProbe.Rate fastest = rates.getFirst();
        for (MicrobatchProbe.Rate r : rates) {
            if (r.tokensPerSecond() > fastest.tokensPerSecond()) {
                fastest = r;
            }
        }
        MicrobatchProbe.Rate chosen = fastest;
        for (MicrobatchProbe.Rate r : rates) {
            boolean tie = r.tokensPerSecond() >= (1 - TIE) * fastest.tokensPerSecond();
            if (tie && (preferSmaller ? r.slots() < chosen.slots() : r.slots() > chosen.slots())) {
                chosen = r;
            }
        }
        String reason = chosen == fastest ? "fastest measured"
                : String.format(Locale.ROOT, "within %.0f%% of the fastest (%d prompts), %s working set", TIE * 100,
                        fastest.samples(), preferSmaller ? "smaller" : "larger");
        return new MicrobatchProbe(rates, chosen.samples(), chosen.width(), reason);
    }
}
