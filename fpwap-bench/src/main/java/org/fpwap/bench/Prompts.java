package org.fpwap.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import org.fpwap.dataset.Sample;

/** Seeded random prompts and the microbatches the engine would form from them. */
public final class Prompts {

    private Prompts() {}

    /** {@code n} prompts of {@code minLen..maxLen} tokens below {@code vocab}; the same seed gives the same prompts. */
    public static List<Sample> random(int n, int minLen, int maxLen, int vocab, long seed) {
        Random r = new Random(seed);
        List<Sample> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int[] t = new int[minLen + r.nextInt(maxLen - minLen + 1)];
            for (int k = 0; k < t.length; k++) {
                t[k] = r.nextInt(vocab);
            }
            out.add(new Sample(i, t, OptionalLong.empty()));
        }
        return out;
    }

    /**
     * The engine's microbatches (MicrobatchPlan): samples sorted by length, longest first, ties by id, cut
     * into runs of at most {@code microbatch}.
     */
    public static List<List<int[]>> microbatches(List<Sample> samples, int microbatch) {
        List<Sample> sorted = new ArrayList<>(samples);
        sorted.sort(Comparator.comparingInt(Sample::length).reversed().thenComparingLong(Sample::id));
        List<List<int[]>> out = new ArrayList<>();
        for (int i = 0; i < sorted.size(); i += microbatch) {
            List<int[]> mb = new ArrayList<>();
            for (int j = i; j < Math.min(sorted.size(), i + microbatch); j++) {
                mb.add(sorted.get(j).tokens());
            }
            out.add(mb);
        }
        return out;
    }

    /** Total real tokens. */
    public static long tokens(List<Sample> samples) {
        return samples.stream().mapToLong(Sample::length).sum();
    }

    /** Σ length² (the attention FLOPs factor). */
    public static double squaredLengths(List<Sample> samples) {
        return samples.stream().mapToDouble(s -> (double) s.length() * s.length()).sum();
    }
}
