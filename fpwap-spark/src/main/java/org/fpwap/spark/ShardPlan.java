package org.fpwap.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.fpwap.run.JournalEntry;
import org.fpwap.sweep.MicrobatchCut;

/**
 * How a data-parallel sweep cuts the dataset: the microbatches one machine would run (its processing order cut under
 * its microbatching), dealt out as contiguous runs of whole microbatches, one run per shard, balanced by padded token
 * slots (the forward's work). A shard's samples are therefore not contiguous in dataset order; sorted by length
 * (longest first, ties by id) they are exactly its run, so a shard's sweep with the same microbatching cuts exactly
 * these microbatches: every sample meets the same batch shape and the same neighbours as on one machine.
 *
 * @param microbatching the single-machine microbatching every shard's sweep is given
 * @param microbatches the single-machine microbatches, in processing order, each its sample ids in processing order
 * @param firstMicrobatch index of each shard's first microbatch, then the microbatch count (length shards + 1)
 */
record ShardPlan(JournalEntry.Microbatching microbatching, List<long[]> microbatches, int[] firstMicrobatch) {

    ShardPlan {
        microbatches = List.copyOf(microbatches);
        firstMicrobatch = firstMicrobatch.clone();
    }

    /**
     * The plan for a dataset whose sample {@code i} has {@code lengths[i]} tokens, cut into at most {@code partitions}
     * shards (fewer when there are fewer microbatches, or when a shard would hold fewer than 2 samples).
     */
    static ShardPlan of(int[] lengths, JournalEntry.Microbatching microbatching, int partitions) {
        List<long[]> mbs = MicrobatchCut.of(lengths, microbatching);
        int n = mbs.size();
        int shards = Math.min(partitions, n);
        long[] slots = new long[n + 1];
        for (int m = 0; m < n; m++) {
            // The first sample of a microbatch is its longest: the padded width.
            slots[m + 1] = slots[m] + (long) mbs.get(m).length * lengths[Math.toIntExact(mbs.get(m)[0])];
        }
        int[] first = new int[shards + 1];
        first[shards] = n;
        for (int k = 1; k < shards; k++) {
            double target = (double) slots[n] * k / shards;
            // At least one microbatch for this shard and for each one after it.
            int j = first[k - 1] + 1;
            int last = n - (shards - k);
            while (j < last && Math.abs(slots[j + 1] - target) <= Math.abs(slots[j] - target)) {
                j++;
            }
            first[k] = j;
        }
        return new ShardPlan(microbatching, mbs, atLeastTwoSamples(mbs, first));
    }

    /**
     * Merges every shard of fewer than 2 samples into a neighbour (the next one, or the previous for the last), still
     * at microbatch boundaries: a shard's own sweep runs every callback's layer ends on its samples alone, and some
     * cannot run on one sample (IncrementalPCA needs at least 2). A dataset of one sample stays one shard.
     */
    private static int[] atLeastTwoSamples(List<long[]> mbs, int[] first) {
        List<Integer> bounds = new ArrayList<>(Arrays.stream(first).boxed().toList());
        int k = 0;
        while (k < bounds.size() - 1 && bounds.size() > 2) {
            int samples = 0;
            for (int m = bounds.get(k); m < bounds.get(k + 1); m++) {
                samples += mbs.get(m).length;
            }
            if (samples >= 2) {
                k++;
            } else if (k + 1 < bounds.size() - 1) {
                bounds.remove(k + 1);
            } else {
                bounds.remove(k);
                k--;
            }
        }
        return bounds.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The number of shards. */
    int shards() {
        return firstMicrobatch.length - 1;
    }

    /** Shard {@code k}'s microbatches, as the single machine runs them. */
    List<long[]> microbatchesOf(int k) {
        return microbatches.subList(firstMicrobatch[k], firstMicrobatch[k + 1]);
    }

    /** Shard {@code k}'s sample ids, ascending (the shard's own dataset order). */
    long[] sampleIds(int k) {
        long[] ids = microbatchesOf(k).stream().flatMapToLong(Arrays::stream).toArray();
        Arrays.sort(ids);
        return ids;
    }
}
