package org.fpwap.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Microbatches are contiguous runs of the length-sorted order that respect count, slot budget and fill. */
class MicrobatchPlanTest {

    private static final int[] LENGTHS = {8, 64, 13, 40, 9, 33, 21, 64, 17, 50, 26, 11, 58, 30, 45, 12};

    @Test
    void everySampleAppearsOnceLongestFirst() {
        MicrobatchPlan plan = MicrobatchPlan.of(LENGTHS, 3, Long.MAX_VALUE, 0.8);
        long[] order = plan.order();
        assertEquals(LENGTHS.length, Arrays.stream(order).distinct().count());
        int[] lengths = plan.lengths();
        for (int i = 1; i < lengths.length; i++) {
            assertTrue(lengths[i] <= lengths[i - 1], "sorted longest first");
        }
    }

    @Test
    void withAMinimumFillEveryMicrobatchIsMostlyRealTokens() {
        MicrobatchPlan plan = MicrobatchPlan.of(LENGTHS, 512, 8192, 0.8);
        int[] lengths = plan.lengths();
        for (int m = 0; m < plan.count(); m++) {
            int width = lengths[plan.first(m)];
            long real = 0;
            for (int i = plan.first(m); i < plan.first(m) + plan.size(m); i++) {
                real += lengths[i];
            }
            assertTrue(real >= 0.8 * plan.size(m) * width, "microbatch " + m + " is " + real + "/" + plan.size(m) * width + " real");
        }
        assertTrue(plan.count() > 1, "mixed lengths are split");
    }

    @Test
    void withoutAFillTheCountAndSlotBudgetAloneCut() {
        assertEquals(1, MicrobatchPlan.of(LENGTHS, 512, 8192, 0).count());
        assertEquals(6, MicrobatchPlan.of(LENGTHS, 3, Long.MAX_VALUE, 0).count());
        // 64-token microbatches hold at most two samples within 128 slots.
        MicrobatchPlan budget = MicrobatchPlan.of(LENGTHS, 512, 128, 0);
        assertEquals(2, budget.size(0));
    }
}
