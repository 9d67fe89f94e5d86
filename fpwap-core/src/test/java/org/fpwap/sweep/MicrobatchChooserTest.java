package org.fpwap.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fpwap.profile.MicrobatchProbe;
import org.junit.jupiter.api.Test;

/** The microbatch chooser with injected forward times (fixed rates), so every choice is deterministic. */
class MicrobatchChooserTest {

    /** Token slots of a run large enough that its probe budget is the fixed cap. */
    private static final double LARGE_RUN = 1e12;
    private static final boolean CPU = false;
    private static final boolean GPU = true;

    /** Chooses with a probe clock that is the sum of the timed forwards (no staging or warm-up). */
    private static MicrobatchProbe choose(boolean gpu, int maxSamples, int width, double runSlots, MicrobatchChooser.ForwardTimer timer) {
        double[] spent = {0};
        return new MicrobatchChooser(gpu).choose(maxSamples, width, runSlots, (samples, w) -> {
            double s = timer.seconds(samples, w);
            spent[0] += s;
            return s;
        }, () -> spent[0]);
    }

    /** A timer giving each candidate (by prompt count) the given rate in token slots per second. */
    private static MicrobatchChooser.ForwardTimer rates(Map<Integer, Double> tokPerSec, List<Integer> asked) {
        return (samples, width) -> {
            asked.add(samples);
            return (double) samples * width / tokPerSec.get(samples);
        };
    }

    @Test
    void candidatesDoubleTheSlotsUpToTheLargestThatFits() {
        assertEquals(List.of(2, 4, 8, 16, 32, 50), MicrobatchChooser.candidates(50, 128));
        // a prompt wider than the smallest slot count: one prompt is the smallest candidate
        assertEquals(List.of(1, 2, 4, 6), MicrobatchChooser.candidates(6, 1000));
        assertEquals(List.of(2, 3), MicrobatchChooser.candidates(3, 128));
        assertEquals(List.of(1), MicrobatchChooser.candidates(1, 300));
    }

    @Test
    void aCpuProbeStartsNearAThousandTokenSlotsAndAGpuProbeAtTheLargest() {
        List<Integer> c = MicrobatchChooser.candidates(50, 128); // 2, 4, 8 (1,024 slots), 16, 32, 50
        assertEquals(2, new MicrobatchChooser(CPU).startIndex(c, 128));
        assertEquals(5, new MicrobatchChooser(GPU).startIndex(c, 128));
        List<Integer> wide = MicrobatchChooser.candidates(64, 191); // 1, 2, 5 (955 slots), 10, 21, 42, 64
        assertEquals(5, wide.get(new MicrobatchChooser(CPU).startIndex(wide, 191)));
    }

    @Test
    void climbsTowardSmallerSizesWhileEachStepIsFaster() {
        List<Integer> asked = new ArrayList<>();
        MicrobatchProbe p = choose(CPU, 32, 128, LARGE_RUN,
                rates(Map.of(2, 300.0, 4, 500.0, 8, 400.0, 16, 900.0, 32, 900.0), asked));
        assertEquals(List.of(8, 4, 2), asked, "a faster neighbour below: no need to look above");
        assertEquals(4, p.chosenSamples());
        assertEquals("fastest measured", p.reason());
        assertEquals(List.of(2, 4, 8), p.rates().stream().map(MicrobatchProbe.Rate::samples).toList(), "rates smallest first");
    }

    @Test
    void climbsTowardLargerSizesWhenSmallerGainsNothing() {
        List<Integer> asked = new ArrayList<>();
        MicrobatchProbe p = choose(CPU, 32, 128, LARGE_RUN,
                rates(Map.of(2, 100e3, 4, 200e3, 8, 400e3, 16, 500e3, 32, 450e3), asked));
        assertEquals(List.of(8, 4, 16, 32), asked);
        assertEquals(16, p.chosenSamples());
    }

    @Test
    void aNeighbourWithinFivePercentDoesNotMoveTheChoice() {
        List<Integer> asked = new ArrayList<>();
        MicrobatchProbe p = choose(CPU, 32, 128, LARGE_RUN,
                rates(Map.of(2, 100.0, 4, 412.0, 8, 400.0, 16, 419.0, 32, 390.0), asked));
        assertEquals(8, p.chosenSamples(), p.summary());
        assertEquals(List.of(8, 4, 16), asked);
        assertTrue(p.reason().contains("no neighbour faster by more than 5%"), p.reason());
    }

    @Test
    void aGpuProbeStartsAtTheLargestAndStepsDownOnlyWhenThatIsFaster() {
        List<Integer> asked = new ArrayList<>();
        Map<Integer, Double> r = Map.of(2, 100e3, 4, 385e3, 8, 400e3, 16, 395e3, 32, 390e3);
        assertEquals(32, choose(GPU, 32, 128, LARGE_RUN, rates(r, asked)).chosenSamples());
        assertEquals(List.of(32, 16), asked);
    }

    @Test
    void stopsMeasuringOnceTheTimeCapIsSpent() {
        List<Integer> asked = new ArrayList<>();
        // each forward takes 7 s: after the start and one neighbour the probe has spent 14 s, past the 12 s cap
        MicrobatchProbe p = choose(CPU, 32, 128, LARGE_RUN, (samples, width) -> {
            asked.add(samples);
            return 7.0;
        });
        assertEquals(List.of(8, 4), asked);
        assertEquals(8, p.chosenSamples(), "half the slots in the same time is half the rate");
    }

    @Test
    void theProbesOwnTimeCountsStagingAndWarmUp() {
        List<Integer> asked = new ArrayList<>();
        // 1,000 slots/s at every size: a run of 100,000 slots takes 100 s and the probe may spend 3 s. Staging and the
        // warm-up already took 2.5 s and the start (1.024 s) passes the budget: nothing else is measured.
        double[] clock = {2.5};
        MicrobatchProbe p = new MicrobatchChooser(CPU).choose(64, 128, 100_000, (samples, width) -> {
            asked.add(samples);
            double s = samples * width / 1000.0;
            clock[0] += s;
            return s;
        }, () -> clock[0]);
        assertEquals(List.of(8), asked);
        assertEquals(8, p.chosenSamples());
    }

    @Test
    void aSizeWhoseForwardWouldOvershootTheBudgetIsNotMeasured() {
        List<Integer> asked = new ArrayList<>();
        // 1,000 slots/s everywhere; a run of 100,000 slots may probe 3 s. The start (1.024 s) and the smaller
        // neighbour (0.512 s) fit; the larger neighbour's 2.048 s would end at 3.58 s, past the budget.
        MicrobatchProbe p = choose(CPU, 64, 128, 100_000,
                rates(Map.of(2, 1000.0, 4, 1000.0, 8, 1000.0, 16, 1000.0, 32, 1000.0, 64, 1000.0), asked));
        assertEquals(List.of(8, 4), asked);
        assertEquals(8, p.chosenSamples());
    }

    @Test
    void aSmallRunProbesNoMoreThanAFewPercentOfItsOwnTime() {
        List<Integer> asked = new ArrayList<>();
        // 1,000 slots/s up to 8 prompts, faster above: a run of 20,000 slots (20 s at the rate measured first) may probe
        // 0.6 s, which the start (1.024 s) already passes; a large run goes on to the faster larger sizes
        Map<Integer, Double> r = Map.of(2, 1000.0, 4, 1000.0, 8, 1000.0, 16, 2000.0, 32, 4000.0, 64, 4000.0);
        assertEquals(List.of(8), names(choose(CPU, 64, 128, 20_000, rates(r, asked))));
        asked.clear();
        MicrobatchProbe large = choose(CPU, 64, 128, LARGE_RUN, rates(r, asked));
        assertEquals(List.of(8, 4, 16, 32, 64), asked);
        assertEquals(32, large.chosenSamples(), "64 is not faster than 32 by more than 5%");
    }

    private static List<Integer> names(MicrobatchProbe p) {
        return p.rates().stream().map(MicrobatchProbe.Rate::samples).toList();
    }

    @Test
    void theRatesAreTokenSlotsPerSecond() {
        MicrobatchProbe.Rate r = new MicrobatchProbe.Rate(8, 100, 0.5);
        assertEquals(1600.0, r.tokensPerSecond(), 1e-9);
    }
}
