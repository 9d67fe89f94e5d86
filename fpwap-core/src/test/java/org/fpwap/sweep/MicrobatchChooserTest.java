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
    void takesTheFastestCandidateThatFits() {
        List<Integer> asked = new ArrayList<>();
        MicrobatchProbe p = new MicrobatchChooser(true).choose(32, 128, LARGE_RUN,
                rates(Map.of(2, 100.0, 4, 200.0, 8, 400.0, 16, 390.0 * 0.9, 32, 300.0), asked));
        assertEquals(8, p.chosenSamples());
        assertEquals(128, p.width());
        assertEquals("fastest measured", p.reason());
    }

    @Test
    void onCpuATieWithinFivePercentGoesToTheSmallerWorkingSet() {
        Map<Integer, Double> r = Map.of(2, 100.0, 4, 385.0, 8, 400.0, 16, 395.0, 32, 390.0);
        MicrobatchProbe cpu = new MicrobatchChooser(true).choose(32, 128, LARGE_RUN, rates(r, new ArrayList<>()));
        assertEquals(4, cpu.chosenSamples(), cpu.summary());
        assertTrue(cpu.reason().contains("smaller"), cpu.reason());
    }

    @Test
    void onAGpuATieGoesToTheLargerMicrobatch() {
        Map<Integer, Double> r = Map.of(2, 100.0, 4, 385.0, 8, 400.0, 16, 395.0, 32, 390.0);
        assertEquals(32, new MicrobatchChooser(false).choose(32, 128, LARGE_RUN, rates(r, new ArrayList<>())).chosenSamples());
    }

    @Test
    void stopsMeasuringOnceACandidateFallsFarBelowTheBest() {
        List<Integer> asked = new ArrayList<>();
        MicrobatchProbe p = new MicrobatchChooser(true).choose(32, 128, LARGE_RUN,
                rates(Map.of(2, 300.0, 4, 400.0, 8, 200.0, 16, 1000.0, 32, 1000.0), asked));
        assertEquals(List.of(2, 4, 8), asked);
        assertEquals(4, p.chosenSamples());
        assertEquals(3, p.rates().size());
    }

    @Test
    void stopsMeasuringOnceTheTimeCapIsSpent() {
        List<Integer> asked = new ArrayList<>();
        // each forward takes 7 s: the second candidate passes the 12 s cap
        MicrobatchProbe p = new MicrobatchChooser(true).choose(32, 128, LARGE_RUN, (samples, width) -> {
            asked.add(samples);
            return 7.0;
        });
        assertEquals(List.of(2, 4), asked);
        assertEquals(4, p.chosenSamples(), "twice the slots in the same time is twice the rate");
    }

    @Test
    void aSmallRunProbesNoMoreThanAFewPercentOfItsOwnTime() {
        List<Integer> asked = new ArrayList<>();
        // 1,000 slots/s at every size; a run of 100,000 slots takes 100 s, so the probe may spend 3 s:
        // 256/1000 + 512/1000 + 1024/1000 + 2048/1000 passes it at the fourth candidate
        MicrobatchProbe p = new MicrobatchChooser(true).choose(64, 128, 100_000, rates(
                Map.of(2, 1000.0, 4, 1000.0, 8, 1000.0, 16, 1000.0, 32, 1000.0, 64, 1000.0), asked));
        assertEquals(List.of(2, 4, 8, 16), asked);
        assertEquals(2, p.chosenSamples(), "equal rates: the smallest working set");
    }

    @Test
    void theRatesAreTokenSlotsPerSecond() {
        MicrobatchProbe.Rate r = new MicrobatchProbe.Rate(8, 100, 0.5);
        assertEquals(1600.0, r.tokensPerSecond(), 1e-9);
    }
}
