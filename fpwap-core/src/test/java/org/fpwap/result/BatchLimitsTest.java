package org.fpwap.result;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class BatchLimitsTest {

    private static final int ROW_BYTES = 4 * Float.BYTES;

    @Test
    void aBatchStopsBeforeTheFloatBudgetIsExceeded() {
        var rows = TestRows.pooled(10, 4, 30);
        assertEquals(3, new BatchLimits(3 * ROW_BYTES + 1, 100).endOfBatch(rows, 0));
    }

    @Test
    void aBatchStopsAtTheRowLimit() {
        var rows = TestRows.pooled(10, 4, 31);
        assertEquals(6, new BatchLimits(1 << 20, 4).endOfBatch(rows, 2));
    }

    @Test
    void aSampleBiggerThanTheBudgetGetsABatchOfItsOwn() {
        var rows = TestRows.ragged(4, 32, 1, 50, 1);
        var limits = new BatchLimits(10 * ROW_BYTES, 100);
        assertEquals(1, limits.endOfBatch(rows, 0));
        assertEquals(2, limits.endOfBatch(rows, 1));
        assertEquals(3, limits.endOfBatch(rows, 2));
    }

    @Test
    void theLastBatchEndsAtTheLastRow() {
        var rows = TestRows.pooled(5, 4, 33);
        assertEquals(5, new BatchLimits(1 << 20, 100).endOfBatch(rows, 3));
    }
}
