package org.fpwap.result;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.fpwap.io.PageAdvice;

/**
 * The byte ranges of a mapping written since they were last dropped from the resident set, so that dropping them
 * advises those pages only: the cost follows what was written, not the size of the file (a whole-mapping
 * {@code MADV_DONTNEED} walks every page-table entry of the file, which over a file's life is quadratic in its size).
 * Ranges are merged when they touch, so rows written next to each other cost one call.
 */
final class WrittenRanges {

    /** The page size the count assumes: 4 KiB, as on x86-64 and most arm64 kernels. */
    static final long PAGE = 4096;

    private long[] starts = new long[64];
    private long[] ends = new long[64];
    private int size;
    private long pages;

    /** Records {@code [start, end)} bytes of the mapping as written. */
    void add(long start, long end) {
        if (end <= start) {
            return;
        }
        if (size == starts.length) {
            starts = Arrays.copyOf(starts, 2 * size);
            ends = Arrays.copyOf(ends, 2 * size);
        }
        starts[size] = start;
        ends[size] = end;
        size++;
        // A small row still maps a whole page: count pages touched, not bytes written.
        pages += (end - 1) / PAGE - start / PAGE + 1;
    }

    /** Bytes of the pages touched since the last {@link #release}. */
    long touchedBytes() {
        return pages * PAGE;
    }

    /** Drops the written pages of {@code mapping} from the resident set (the data stays in the page cache) and forgets them. */
    void release(PageAdvice advice, MemorySegment mapping) {
        Integer[] order = new Integer[size];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, (a, b) -> Long.compare(starts[a], starts[b]));
        long runStart = -1;
        long runEnd = -1;
        for (int k : order) {
            long s = starts[k] / PAGE * PAGE;
            if (runEnd >= 0 && s <= runEnd) {
                runEnd = Math.max(runEnd, ends[k]);
            } else {
                if (runEnd >= 0) {
                    advice.dontNeed(mapping, runStart, runEnd - runStart);
                }
                runStart = s;
                runEnd = ends[k];
            }
        }
        if (runEnd >= 0) {
            advice.dontNeed(mapping, runStart, runEnd - runStart);
        }
        size = 0;
        pages = 0;
    }
}
