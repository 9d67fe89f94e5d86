package org.fpwap.buffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.fpwap.forward.PaddingSide;
import org.fpwap.io.PageAdvice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The page advice a residual buffer gives: refused calls are counted (the profile reports them), and a pass
 * that releases rows in processing order also releases the fault-around window behind each range, which the
 * kernel maps while the rows are read and no later release would otherwise reach.
 */
class ResidualBufferAdviceTest {

    private static final int PAGE = 4096;
    private static final long WINDOW = 2L << 20;
    private static final int HIDDEN = 1024;

    @TempDir
    Path tmp;

    /** One recorded {@code madvise}: offset from the mapping's start, length, advice. */
    record Call(long offset, long length, int advice) {}

    private final List<long[]> raw = new ArrayList<>();

    @SuppressWarnings("unused") // bound by MethodHandles below
    private int record(MemorySegment address, long length, int advice) {
        raw.add(new long[] {address.address(), length, advice});
        return 0;
    }

    private PageAdvice recording() throws ReflectiveOperationException {
        MethodHandle handle = MethodHandles.lookup().findVirtual(ResidualBufferAdviceTest.class, "record",
                MethodType.methodType(int.class, MemorySegment.class, long.class, int.class)).bindTo(this);
        return new PageAdvice.Madvise(handle, PAGE);
    }

    private static final int DONTNEED = 4;

    @Test
    void aRefusedCallIsCounted() {
        MethodHandle refuses = MethodHandles.dropArguments(MethodHandles.constant(int.class, -1), 0, MemorySegment.class,
                long.class, int.class);
        try (ResidualBuffer buffer = ResidualBuffer.create(tmp.resolve("work"), 8, new long[] {0, 1}, new int[] {3, 2},
                ResidualBuffer.Transport.FP32, false, ResidualBuffer.FILE_STORE, new PageAdvice.Madvise(refuses, PAGE))) {
            assertEquals(0, buffer.adviceFailures());
            buffer.writePadded(0, 2, 3, PaddingSide.RIGHT, new float[2 * 3 * 8]);
            buffer.release(0, 2);
            buffer.prefetch(1, 1);
            assertEquals(2, buffer.adviceFailures(), "one refused release, one refused prefetch");
            assertTrue(buffer.adviceIsNative());
        }
    }

    @Test
    void releasesInProcessingOrderAlsoReleaseTheFaultAroundWindowBehind() throws Exception {
        // 64 samples of 16 tokens × 1024 floats: 64 KiB each, 4 MiB in all.
        int n = 64;
        int[] lengths = new int[n];
        Arrays.fill(lengths, 16);
        long[] ids = new long[n];
        Arrays.setAll(ids, i -> i);
        long sampleBytes = 16L * HIDDEN * Float.BYTES;
        try (ResidualBuffer buffer = ResidualBuffer.create(tmp.resolve("work"), HIDDEN, ids, lengths,
                ResidualBuffer.Transport.FP32, false, ResidualBuffer.FILE_STORE, recording())) {
            long base = -1;
            List<Call> calls = new ArrayList<>();
            // A layer pass: microbatches of 8 samples in processing order.
            for (int first = 0; first < n; first += 8) {
                raw.clear();
                buffer.release(first, 8);
                long[] c = raw.getFirst();
                if (base < 0) {
                    base = c[0]; // the first release starts at the mapping's first page
                }
                calls.add(new Call(c[0] - base, c[1], (int) c[2]));
            }
            assertEquals(new Call(0, 8 * sampleBytes, DONTNEED), calls.get(0), "nothing lies behind the first microbatch");
            assertEquals(new Call(0, 16 * sampleBytes, DONTNEED), calls.get(1), "the window is clamped at the buffer's start");
            for (int m = 4; m < calls.size(); m++) {
                long start = m * 8 * sampleBytes;
                assertEquals(new Call(start - WINDOW, WINDOW + 8 * sampleBytes, DONTNEED), calls.get(m),
                        "microbatch " + m + " releases its rows and the 2 MiB behind them");
            }
            // Out of order (the embedding writes samples in dataset order): only the rows themselves.
            raw.clear();
            buffer.release(40, 1);
            assertEquals(40 * sampleBytes, raw.getFirst()[0] - base);
            assertEquals(sampleBytes, raw.getFirst()[1]);
        }
    }
}
