package org.fpwap.io;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.junit.jupiter.api.Test;

class PageAdviceTest {
    @Test
    void adviceOnAnUnalignedRangeNeitherThrowsNorChangesTheBytes() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment memory = arena.allocate(3 * 4096 + 17);
            memory.set(ValueLayout.JAVA_BYTE, 5000, (byte) 42);
            assertDoesNotThrow(() -> PageAdvice.platform().willNeed(memory, 4099, 5000));
            assertDoesNotThrow(() -> PageAdvice.platform().willNeed(memory, 0, 0));
            assertEquals(42, memory.get(ValueLayout.JAVA_BYTE, 5000));
        }
    }

    @Test
    void theFallbackIgnoresEveryHint() {
        PageAdvice noOp = new PageAdvice.NoOp();
        assertDoesNotThrow(() -> noOp.willNeed(MemorySegment.NULL, 123, 456));
        assertEquals(false, noOp.isNative());
    }
}
