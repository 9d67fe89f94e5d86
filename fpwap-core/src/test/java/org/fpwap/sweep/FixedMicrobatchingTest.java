package org.fpwap.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.fpwap.callback.CallbackAction;
import org.fpwap.callback.Layers;
import org.fpwap.dataset.Dataset;
import org.fpwap.forward.Hook;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.result.Result;
import org.fpwap.run.JournalEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Sweep.Builder#microbatching} runs exactly the given microbatching (count, token budget and minimum fill), with
 * no throughput probe; {@link Sweep#microbatching()} reports the one a run would use; {@link MicrobatchCut} is that cut.
 */
class FixedMicrobatchingTest {

    private static final int[] LENGTHS = {12, 3, 9, 12, 5, 11, 4, 10, 2, 7, 12, 6, 8, 3, 9};
    /** Five prompts, 60 slots, 80% real tokens: on these lengths the fill rule cuts where count and budget do not. */
    private static final JournalEntry.Microbatching FIXED = new JournalEntry.Microbatching(5, 60, 0.8);

    @TempDir
    Path tmp;

    private Sweep.Builder sweep(List<long[]> seen) {
        Path model = tmp.resolve("model");
        if (!model.toFile().exists()) {
            RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(1).build(), model);
        }
        return Sweep.builder().model(model).dataset(Dataset.of(SweepTestData.prompts(5, 128, LENGTHS))).workDir(tmp.resolve("w"))
                .callbacks(TestCallback.read("seen", Layers.of(0), Set.of(Hook.RESIDUAL_POST), b -> {
                    seen.add(IntStream.range(0, b.size()).mapToLong(b::sampleId).toArray());
                    return CallbackAction.nothing();
                }));
    }

    /** The cut written from the specification: longest first, ties by id, greedy under the three limits. */
    private static List<long[]> bruteForceCut(int[] lengths, JournalEntry.Microbatching m) {
        List<Integer> order = new ArrayList<>(IntStream.range(0, lengths.length).boxed().toList());
        order.sort(Comparator.<Integer>comparingInt(i -> -lengths[i]).thenComparingInt(i -> i));
        List<long[]> out = new ArrayList<>();
        List<Long> current = new ArrayList<>();
        int width = 0;
        for (int id : order) {
            boolean fits = !current.isEmpty() && current.size() < m.samples() && (long) (current.size() + 1) * width <= m.tokenBudget()
                    && lengths[id] >= m.minFill() * width;
            if (!fits && !current.isEmpty()) {
                out.add(current.stream().mapToLong(Long::longValue).toArray());
                current.clear();
            }
            if (current.isEmpty()) {
                width = lengths[id];
            }
            current.add((long) id);
        }
        out.add(current.stream().mapToLong(Long::longValue).toArray());
        return out;
    }

    private static List<List<Long>> boxed(List<long[]> mbs) {
        return mbs.stream().map(a -> Arrays.stream(a).boxed().toList()).toList();
    }

    @Test
    void aFixedMicrobatchingIsRunExactlyWithoutAProbe() {
        List<long[]> seen = new ArrayList<>();
        try (Sweep s = sweep(seen).microbatching(FIXED).build()) {
            assertEquals(FIXED, s.microbatching());
            Plan plan = s.preflight();
            assertTrue(plan.microbatchChoice().rates().isEmpty(), plan.summary());
            assertEquals(5, plan.microbatchSamples());
            assertEquals(60, plan.tokenBudget());
            try (Result ignored = s.run()) {
                List<List<Long>> expected = boxed(bruteForceCut(LENGTHS, FIXED));
                assertEquals(expected, boxed(seen));
                assertEquals(expected, boxed(MicrobatchCut.of(LENGTHS, FIXED)));
                // The minimum fill mattered: without it the same count and budget cut differently.
                assertNotEquals(expected, boxed(bruteForceCut(LENGTHS, new JournalEntry.Microbatching(5, 60, 0))));
            }
        }
    }

    @Test
    void theMicrobatchingOfADefaultOrAFixedSizeSweepKeepsItsFillRule() {
        try (Sweep s = sweep(new ArrayList<>()).build()) {
            assertEquals(Preflight.AUTO_MIN_FILL, s.microbatching().minFill());
        }
        try (Sweep s = sweep(new ArrayList<>()).microbatch(4).build()) {
            assertEquals(new JournalEntry.Microbatching(4, Long.MAX_VALUE, 0), s.microbatching());
        }
    }

    @Test
    void anImpossibleMicrobatchingIsRefused() {
        Sweep.Builder b = sweep(new ArrayList<>());
        assertThrows(IllegalArgumentException.class, () -> b.microbatching(new JournalEntry.Microbatching(0, 60, 0.8)));
        assertThrows(IllegalArgumentException.class, () -> b.microbatching(new JournalEntry.Microbatching(5, 60, 1.5)));
    }
}
