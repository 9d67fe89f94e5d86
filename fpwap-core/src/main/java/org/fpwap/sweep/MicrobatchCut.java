package org.fpwap.sweep;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.fpwap.run.JournalEntry;

/**
 * The microbatches a sweep cuts a dataset into, for callers outside the sweep (a data-parallel driver that must
 * give every shard whole microbatches of the single-machine plan). It is the sweep's own cut, not a copy: the
 * processing order (longest first, ties by sample id) cut greedily under the {@link JournalEntry.Microbatching}'s
 * three limits.
 */
public final class MicrobatchCut {

    private MicrobatchCut() {}

    /**
     * The microbatches of a dataset whose sample {@code i} has {@code lengths[i]} tokens, in processing order; each
     * holds its sample ids in processing order.
     */
    public static List<long[]> of(int[] lengths, JournalEntry.Microbatching microbatching) {
        MicrobatchPlan plan = MicrobatchPlan.of(lengths, microbatching.samples(), microbatching.tokenBudget(), microbatching.minFill());
        long[] order = plan.order();
        List<long[]> out = new ArrayList<>(plan.count());
        for (int m = 0; m < plan.count(); m++) {
            out.add(Arrays.copyOfRange(order, plan.first(m), plan.first(m) + plan.size(m)));
        }
        return out;
    }
}
