package org.fpwap.sweep;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The kernel's view of a file's pages (Linux, through FFM): drop them from the page cache
 * ({@code fsync} + {@code posix_fadvise(POSIX_FADV_DONTNEED)}) and ask which are cached ({@code mincore} over a
 * fresh mapping). Test-only: it measures what a run read from a file without asking the engine.
 */
final class PageCache {

    private static final int O_RDONLY = 0;
    private static final int POSIX_FADV_DONTNEED = 4;

    private final MethodHandle open;
    private final MethodHandle close;
    private final MethodHandle fsync;
    private final MethodHandle fadvise;
    private final MethodHandle mincore;
    private final long pageSize;

    private PageCache(SymbolLookup libc, Linker linker) throws Throwable {
        open = linker.downcallHandle(libc.find("open").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        close = linker.downcallHandle(libc.find("close").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        fsync = linker.downcallHandle(libc.find("fsync").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        fadvise = linker.downcallHandle(libc.find("posix_fadvise").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
        mincore = linker.downcallHandle(libc.find("mincore").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
        MethodHandle getpagesize = linker.downcallHandle(libc.find("getpagesize").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT));
        pageSize = (int) getpagesize.invokeExact();
    }

    /** The Linux implementation, or null where this is not Linux or the calls cannot be bound. */
    static PageCache linux() {
        if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            return null;
        }
        try {
            Linker linker = Linker.nativeLinker();
            return new PageCache(linker.defaultLookup(), linker);
        } catch (Throwable e) {
            return null;
        }
    }

    long pageSize() {
        return pageSize;
    }

    /** Writes {@code file}'s dirty pages and asks the kernel to drop all its cached pages. */
    void evict(Path file) {
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) open.invokeExact(arena.allocateFrom(file.toString()), O_RDONLY);
            if (fd < 0) {
                throw new IllegalStateException("open(" + file + ") failed");
            }
            try {
                int synced = (int) fsync.invokeExact(fd);
                int advised = (int) fadvise.invokeExact(fd, 0L, 0L, POSIX_FADV_DONTNEED);
                if (synced != 0 || advised != 0) {
                    throw new IllegalStateException("fsync/posix_fadvise on " + file + " returned " + synced + "/" + advised);
                }
            } finally {
                int ignored = (int) close.invokeExact(fd);
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("cannot evict " + file + ": " + e, e);
        }
    }

    /** One flag per page of {@code file}: whether it is in the page cache now. */
    boolean[] resident(Path file) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            long size = channel.size();
            MemorySegment mapping = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            int pages = Math.toIntExact((size + pageSize - 1) / pageSize);
            MemorySegment vec = arena.allocate(pages);
            int rc = (int) mincore.invokeExact(mapping, size, vec);
            if (rc != 0) {
                throw new IllegalStateException("mincore on " + file + " returned " + rc);
            }
            boolean[] out = new boolean[pages];
            for (int i = 0; i < pages; i++) {
                out[i] = (vec.get(ValueLayout.JAVA_BYTE, i) & 1) != 0;
            }
            return out;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("mincore on " + file + " failed: " + e, e);
        }
    }

    /** Bytes of {@code [begin, end)} that lie in cached pages. */
    long residentBytes(boolean[] pages, long begin, long end) {
        long bytes = 0;
        for (long page = begin / pageSize; page * pageSize < end; page++) {
            if (pages[(int) page]) {
                bytes += Math.min(end, (page + 1) * pageSize) - Math.max(begin, page * pageSize);
            }
        }
        return bytes;
    }
}
