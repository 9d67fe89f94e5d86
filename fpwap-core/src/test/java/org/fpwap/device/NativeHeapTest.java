package org.fpwap.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** {@code malloc_trim} is bound on glibc and called no more often than its interval allows. */
class NativeHeapTest {

    private static boolean glibc() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")
                && (Files.exists(Path.of("/lib/x86_64-linux-gnu/libc.so.6")) || Files.exists(Path.of("/lib/aarch64-linux-gnu/libc.so.6")));
    }

    @Test
    void onGlibcTrimsReachTheAllocator() {
        Assumptions.assumeTrue(glibc(), "glibc only");
        NativeHeap heap = NativeHeap.platform(0);
        assertTrue(heap.isNative(), "malloc_trim should be bound (native access is granted to tests)");
        heap.trim();
        heap.maybeTrim();
        assertEquals(2, heap.trims());
    }

    @Test
    void maybeTrimWaitsForTheInterval() {
        NativeHeap heap = NativeHeap.platform(60_000);
        for (int i = 0; i < 1000; i++) {
            heap.maybeTrim();
        }
        assertEquals(0, heap.trims(), "the first interval has not passed");
        heap.trim();
        assertEquals(heap.isNative() ? 1 : 0, heap.trims());
    }
}
