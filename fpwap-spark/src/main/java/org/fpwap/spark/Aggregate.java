package org.fpwap.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The value Spark's {@code treeAggregate} folds the shards into: every shard's output (without states) sorted
 * by partition, and the callbacks' states merged so far ({@code null} before the first shard).
 *
 * @param shards shard outputs, sorted by partition
 * @param states merged states, one per callback, or {@code null} when no shard has been folded in yet
 */
record Aggregate(List<ShardOutput> shards, List<CapturedState> states) implements Serializable {

    Aggregate {
        shards = List.copyOf(shards);
        states = states == null ? null : List.copyOf(states);
    }

    /** The aggregation's zero. */
    static Aggregate empty() {
        return new Aggregate(List.of(), null);
    }

    /** Folds in one shard. */
    Aggregate plus(ShardOutput shard, StateMerger merger) {
        return combine(new Aggregate(List.of(shard.withoutStates()), shard.states()), merger);
    }

    /** Combines two partial aggregates over disjoint sets of shards. */
    Aggregate combine(Aggregate other, StateMerger merger) {
        List<ShardOutput> all = new ArrayList<>(shards);
        all.addAll(other.shards);
        all.sort(Comparator.comparingInt(ShardOutput::partition));
        List<CapturedState> merged = states == null ? other.states
                : other.states == null ? states : merger.merge(states, other.states);
        return new Aggregate(all, merged);
    }
}
