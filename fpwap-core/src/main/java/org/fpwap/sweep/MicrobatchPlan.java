package org.fpwap.sweep;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.fpwap.forward.Microbatch;
import org.fpwap.forward.PaddingSide;

/**
 * The processing order (samples sorted by length, longest first, ties by id) and its cut into
 * microbatches: contiguous runs of that order, at most {@code maxSamples} each, at most {@code tokenBudget}
 * padded slots ({@code samples × longest length}) and, when asked, at least a minimum share of real tokens. Sorting makes each
 * microbatch pad little; contiguity lets the residual buffer store samples in exactly this order.
 */
final class MicrobatchPlan {

    private final long[] order;
    private final int[] lengths;
    private final int[] starts;

    private MicrobatchPlan(long[] order, int[] lengths, int[] starts) {
        this.order = order;
        this.lengths = lengths;
        this.starts = starts;
    }

    /** Plans {@code datasetLengths} (indexed by sample id), cutting on count and token budget only. */
    static MicrobatchPlan of(int[] datasetLengths, int maxSamples, long tokenBudget) {
        return of(datasetLengths, maxSamples, tokenBudget, 0);
    }

    /**
     * Plans {@code datasetLengths}; a microbatch also ends before a sample shorter than {@code minFill} × its
     * width (its first, longest sample), so at least that share of its slots are real tokens. Padding is
     * computed and thrown away: with prompts of 8–64 tokens in one microbatch, almost half the work would be.
     */
    static MicrobatchPlan of(int[] datasetLengths, int maxSamples, long tokenBudget, double minFill) {
        if (maxSamples <= 0) {
            throw new IllegalArgumentException("microbatch size must be positive, got " + maxSamples);
        }
        Integer[] ids = IntStream.range(0, datasetLengths.length).boxed().toArray(Integer[]::new);
        Arrays.sort(ids, Comparator.<Integer>comparingInt(i -> datasetLengths[i]).reversed().thenComparingInt(i -> i));
        long[] order = new long[ids.length];
        int[] lengths = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            order[i] = ids[i];
            lengths[i] = datasetLengths[ids[i]];
        }
        List<Integer> starts = new ArrayList<>();
        int i = 0;
        while (i < order.length) {
            starts.add(i);
            int width = lengths[i];
            int count = 1;
            while (i + count < order.length && count < maxSamples && (long) (count + 1) * width <= tokenBudget
                    && lengths[i + count] >= minFill * width) {
                count++;
            }
            i += count;
        }
        starts.add(order.length);
        return new MicrobatchPlan(order, lengths, starts.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Sample ids in processing order. */
    long[] order() {
        return order.clone();
    }

    /** Lengths in processing order. */
    int[] lengths() {
        return lengths.clone();
    }

    /** Number of microbatches. */
    int count() {
        return starts.length - 1;
    }

    /** Processing index of microbatch {@code m}'s first sample. */
    int first(int m) {
        return starts[m];
    }

    /** Samples in microbatch {@code m}. */
    int size(int m) {
        return starts[m + 1] - starts[m];
    }

    /** The largest padded microbatch, in slots (samples × width). */
    long maxSlots() {
        long max = 0;
        for (int m = 0; m < count(); m++) {
            max = Math.max(max, (long) size(m) * lengths[starts[m]]);
        }
        return max;
    }

    /** Microbatch {@code m} as the forward sees it (lengths only; the engine never needs token ids again). */
    Microbatch microbatch(int m, PaddingSide side) {
        int from = starts[m];
        int to = starts[m + 1];
        return Microbatch.ofLengths(Arrays.copyOfRange(order, from, to), Arrays.copyOfRange(lengths, from, to), side);
    }
}
