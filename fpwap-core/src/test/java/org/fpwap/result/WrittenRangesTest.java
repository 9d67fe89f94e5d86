package org.fpwap.result;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import org.fpwap.io.PageAdvice;
import org.junit.jupiter.api.Test;

/** Written ranges are released as merged page runs, and only those: never the whole mapping. */
class WrittenRangesTest {

    private final List<long[]> calls = new ArrayList<>();

    @SuppressWarnings("unused") // bound below
    private int record(MemorySegment address, long length, int advice) {
        calls.add(new long[] {address.address(), length});
        return 0;
    }

    @Test
    void releasesMergedPageRunsOfWhatWasWritten() throws Exception {
        MethodHandle handle = MethodHandles.lookup().findVirtual(WrittenRangesTest.class, "record",
                MethodType.methodType(int.class, MemorySegment.class, long.class, int.class)).bindTo(this);
        PageAdvice advice = new PageAdvice.Madvise(handle, 4096);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mapping = arena.allocate(1 << 20, 4096);
            WrittenRanges written = new WrittenRanges();
            written.add(9000, 9100);   // page 2
            written.add(50, 5000);     // pages 0-1, overlapping the next
            written.add(0, 100);       // page 0
            written.add(200_000, 200_001);
            assertEquals(5 * 4096, written.touchedBytes(), "pages 2, 0-1, 0 and 48, counted per range (an overlap counts twice)");
            written.release(advice, mapping);
            long base = mapping.address();
            assertEquals(3, calls.size(), "0..5000 and 9000..9100 are on adjacent pages but not merged; 200,000 apart");
            assertEquals(base, calls.get(0)[0]);
            assertEquals(5000, calls.get(0)[1]);
            assertEquals(base + 8192, calls.get(1)[0]);
            assertEquals(9100 - 8192, calls.get(1)[1]);
            assertEquals(base + 196_608, calls.get(2)[0]);
            assertEquals(0, written.touchedBytes(), "released ranges are forgotten");
            calls.clear();
            written.release(advice, mapping);
            assertEquals(0, calls.size(), "nothing written, nothing advised");
        }
    }
}
