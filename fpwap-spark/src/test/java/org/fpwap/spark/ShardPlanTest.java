package org.fpwap.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.fpwap.run.JournalEntry;
import org.fpwap.sweep.MicrobatchCut;
import org.junit.jupiter.api.Test;

/**
 * A shard's own sweep, given the single-machine microbatching, cuts exactly the single-machine microbatches of its
 * samples when the shard is a run of whole microbatches, and not when it is a contiguous range of the dataset (the
 * old sharding). The shard's cut is {@link MicrobatchCut}, the sweep's own.
 */
class ShardPlanTest {

    /** The microbatching a default sweep chooses for short datasets of prompts up to 40 tokens (6 × 40 slots, fill 0.8). */
    private static final JournalEntry.Microbatching DEFAULT_LIKE = new JournalEntry.Microbatching(6, 240, 0.8);

    private static int[] lengths(int n, long seed) {
        Random random = new Random(seed);
        return random.ints(n, 3, 41).toArray();
    }

    /**
     * The microbatches a shard's sweep runs, as global sample ids: the shard's samples get local ids in global id
     * order (as {@link ShardTask} gives them) and are cut with {@code microbatching}.
     */
    private static List<long[]> shardCut(int[] lengths, long[] shardIds, JournalEntry.Microbatching microbatching) {
        long[] ids = shardIds.clone();
        Arrays.sort(ids);
        int[] local = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            local[i] = lengths[(int) ids[i]];
        }
        List<long[]> out = new ArrayList<>();
        for (long[] mb : MicrobatchCut.of(local, microbatching)) {
            out.add(Arrays.stream(mb).map(i -> ids[(int) i]).toArray());
        }
        return out;
    }

    private static boolean sameMicrobatches(List<long[]> expected, List<long[]> actual) {
        if (expected.size() != actual.size()) {
            return false;
        }
        for (int m = 0; m < expected.size(); m++) {
            if (!Arrays.equals(expected.get(m), actual.get(m))) {
                return false;
            }
        }
        return true;
    }

    @Test
    void everyShardCutsExactlyItsSingleMachineMicrobatches() {
        for (long seed = 1; seed <= 20; seed++) {
            int[] lengths = lengths(60 + (int) seed * 3, seed);
            for (int partitions = 1; partitions <= 5; partitions++) {
                ShardPlan plan = ShardPlan.of(lengths, DEFAULT_LIKE, partitions);
                List<long[]> all = new ArrayList<>();
                for (int k = 0; k < plan.shards(); k++) {
                    List<long[]> cut = shardCut(lengths, plan.sampleIds(k), DEFAULT_LIKE);
                    assertTrue(sameMicrobatches(plan.microbatchesOf(k), cut), "seed " + seed + ", shard " + k + " of " + partitions);
                    all.addAll(cut);
                }
                assertTrue(sameMicrobatches(MicrobatchCut.of(lengths, DEFAULT_LIKE), all), "the shards together are the whole plan");
            }
        }
    }

    @Test
    void contiguousRangesOfTheDatasetWouldNotCutTheSameMicrobatches() {
        int[] lengths = lengths(96, 7);
        List<long[]> whole = MicrobatchCut.of(lengths, DEFAULT_LIKE);
        List<long[]> halves = new ArrayList<>(shardCut(lengths, LongStream.range(0, 48).toArray(), DEFAULT_LIKE));
        halves.addAll(shardCut(lengths, LongStream.range(48, 96).toArray(), DEFAULT_LIKE));
        assertFalse(sameMicrobatches(whole, halves), "contiguous halves happened to cut the same microbatches");
    }

    @Test
    void shardsAreBalancedByPaddedSlotsAndCoverEverySampleOnce() {
        int[] lengths = lengths(120, 3);
        ShardPlan plan = ShardPlan.of(lengths, DEFAULT_LIKE, 3);
        assertEquals(3, plan.shards());
        long total = 0;
        long[] slots = new long[3];
        List<Long> covered = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            for (long[] mb : plan.microbatchesOf(k)) {
                slots[k] += (long) mb.length * lengths[(int) mb[0]];
            }
            total += slots[k];
            Arrays.stream(plan.sampleIds(k)).forEach(covered::add);
        }
        for (int k = 0; k < 3; k++) {
            // Whole microbatches can miss the even share by at most one microbatch (at most tokenBudget slots) per side.
            assertTrue(Math.abs(slots[k] - total / 3.0) <= 2 * DEFAULT_LIKE.tokenBudget(), "shard " + k + ": " + slots[k] + " of " + total);
        }
        assertArrayEquals(LongStream.range(0, 120).toArray(), covered.stream().mapToLong(Long::longValue).sorted().toArray());
    }

    @Test
    void fewerMicrobatchesThanPartitionsGiveOneShardEach() {
        ShardPlan plan = ShardPlan.of(new int[] {10, 10, 10, 10}, new JournalEntry.Microbatching(2, 100, 0), 8);
        assertEquals(2, plan.shards());
        assertArrayEquals(new long[] {0, 1}, plan.sampleIds(0));
        assertArrayEquals(new long[] {2, 3}, plan.sampleIds(1));
    }

    @Test
    void noShardHoldsASingleSampleEvenWithOnePartitionPerSample() {
        JournalEntry.Microbatching one = new JournalEntry.Microbatching(1, 100, 0);
        for (int n = 1; n <= 9; n++) {
            int[] lengths = lengths(n, n);
            ShardPlan plan = ShardPlan.of(lengths, one, n);
            List<Long> covered = new ArrayList<>();
            for (int k = 0; k < plan.shards(); k++) {
                long[] ids = plan.sampleIds(k);
                // A lone sample's shard could not end a layer for IncrementalPCA, which needs 2 samples.
                assertTrue(ids.length >= 2 || n == 1, n + " samples, shard " + k + " holds " + Arrays.toString(ids));
                Arrays.stream(ids).forEach(covered::add);
            }
            assertEquals(Math.max(1, n / 2), plan.shards(), n + " samples: as many shards as pairs");
            assertArrayEquals(LongStream.range(0, n).toArray(), covered.stream().mapToLong(Long::longValue).sorted().toArray());
        }
    }
}
