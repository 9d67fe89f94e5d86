package org.fpwap.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On Linux, page advice takes the native {@code madvise} path and the kernel acts on it; a refused call is
 * reported as false (the residual buffer counts it: {@code ResidualBufferAdviceTest}).
 */
class PageAdviceNativeTest {

    private static final int PAGE = 4096;

    @TempDir
    Path tmp;

    private static boolean linux() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux");
    }

    @Test
    void onLinuxAdviceIsNative() {
        Assumptions.assumeTrue(linux(), "Linux only");
        assertTrue(PageAdvice.platform().isNative(), "madvise should be bound on Linux (native access is granted to tests)");
    }

    /**
     * The kernel acts on the advice: in a private file mapping a written page is an anonymous copy, and
     * {@code MADV_DONTNEED} drops it, so the page reads the file's bytes again. The no-op would keep the write.
     */
    @Test
    void dontNeedReachesTheKernel() throws Exception {
        Assumptions.assumeTrue(linux(), "Linux only");
        Path file = Files.write(tmp.resolve("zeros"), new byte[4 * PAGE]);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
                Arena arena = Arena.ofConfined()) {
            MemorySegment mapping = channel.map(FileChannel.MapMode.PRIVATE, 0, 4 * PAGE, arena);
            mapping.set(ValueLayout.JAVA_BYTE, PAGE + 7, (byte) 42);
            mapping.set(ValueLayout.JAVA_BYTE, 3 * PAGE + 1, (byte) 43);
            assertTrue(PageAdvice.platform().dontNeed(mapping, PAGE, PAGE));
            assertEquals(0, mapping.get(ValueLayout.JAVA_BYTE, PAGE + 7), "the private copy of page 1 was dropped");
            assertEquals(43, mapping.get(ValueLayout.JAVA_BYTE, 3 * PAGE + 1), "page 3 was not advised and keeps its write");
        }
    }

    @Test
    void aRefusedCallReturnsFalse() {
        MethodHandle refuses = MethodHandles.dropArguments(MethodHandles.constant(int.class, -1), 0, MemorySegment.class,
                long.class, int.class);
        PageAdvice failing = new PageAdvice.Madvise(refuses, PAGE);
        try (Arena arena = Arena.ofConfined()) {
            assertFalse(failing.dontNeed(arena.allocate(PAGE), 0, PAGE));
        }
    }
}
