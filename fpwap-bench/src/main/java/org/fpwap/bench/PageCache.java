package org.fpwap.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
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
import java.util.List;

/**
 * Evicts files from the Linux page cache and measures how much of a file is cached, through libc via
 * FFM: {@code open}/{@code posix_fadvise(POSIX_FADV_DONTNEED)}/{@code close} to drop a file's clean pages,
 * {@code madvise(MADV_DONTNEED)} to first unmap them from this process (the kernel will not drop pages
 * some process still maps, and a {@code Checkpoint} maps its files), and {@code mincore} on a fresh
 * mapping to check what is still resident.
 */
public final class PageCache {

    private static final int O_RDONLY = 0;
    private static final int POSIX_FADV_DONTNEED = 4;
    private static final int MADV_DONTNEED = 4;
    private static final long PAGE = 4096;

    private static final MethodHandle OPEN;
    private static final MethodHandle CLOSE;
    private static final MethodHandle FADVISE;
    private static final MethodHandle MADVISE;
    private static final MethodHandle MINCORE;

    static {
        Linker linker = Linker.nativeLinker();
        SymbolLookup libc = linker.defaultLookup();
        OPEN = linker.downcallHandle(libc.find("open").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT), Linker.Option.firstVariadicArg(2));
        CLOSE = linker.downcallHandle(libc.find("close").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        FADVISE = linker.downcallHandle(libc.find("posix_fadvise").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
        MADVISE = linker.downcallHandle(libc.find("madvise").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
        MINCORE = linker.downcallHandle(libc.find("mincore").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
    }

    private PageCache() {}

    /** Drops {@code file}'s clean, unmapped pages from the page cache ({@code posix_fadvise DONTNEED} on the whole file). */
    public static void evict(Path file) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment path = arena.allocateFrom(file.toAbsolutePath().toString());
            int fd = (int) OPEN.invokeExact(path, O_RDONLY);
            if (fd < 0) {
                throw new IOException("open(" + file + ") failed");
            }
            try {
                int rc = (int) FADVISE.invokeExact(fd, 0L, 0L, POSIX_FADV_DONTNEED);
                if (rc != 0) {
                    throw new IOException("posix_fadvise(" + file + ", DONTNEED) returned " + rc);
                }
            } finally {
                int ignored = (int) CLOSE.invokeExact(fd);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Throwable e) {
            throw new IllegalStateException("libc call failed: " + e, e);
        }
    }

    /** {@link #evict(Path)} on each file. */
    public static void evict(List<Path> files) {
        files.forEach(PageCache::evict);
    }

    /**
     * Unmaps {@code [segment.address(), +byteSize)} (widened to whole pages) from this process's page tables
     * ({@code madvise MADV_DONTNEED}; a shared read-only file mapping loses nothing), so that a following
     * {@link #evict} can drop those pages from the page cache.
     */
    public static void unmapPages(MemorySegment segment) {
        long start = segment.address() & ~(PAGE - 1);
        long end = (segment.address() + segment.byteSize() + PAGE - 1) & ~(PAGE - 1);
        if (end <= start) {
            return;
        }
        try {
            int rc = (int) MADVISE.invokeExact(MemorySegment.ofAddress(start), end - start, MADV_DONTNEED);
            if (rc != 0) {
                throw new IllegalStateException("madvise(MADV_DONTNEED) returned " + rc);
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("madvise failed: " + e, e);
        }
    }

    /** The fraction of {@code file}'s pages in the page cache now ({@code mincore} on a fresh mapping, which touches nothing). */
    public static double residentFraction(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            long size = ch.size();
            if (size == 0) {
                return 0;
            }
            MemorySegment map = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long pages = (size + PAGE - 1) / PAGE;
            MemorySegment vec = arena.allocate(pages);
            int rc = (int) MINCORE.invokeExact(map, size, vec);
            if (rc != 0) {
                throw new IllegalStateException("mincore returned " + rc);
            }
            long resident = 0;
            for (long i = 0; i < pages; i++) {
                resident += vec.get(ValueLayout.JAVA_BYTE, i) & 1;
            }
            return (double) resident / pages;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("mincore failed: " + e, e);
        }
    }

    /** The mean {@link #residentFraction} over {@code files}, weighted by size. */
    public static double residentFraction(List<Path> files) {
        double resident = 0;
        double total = 0;
        for (Path f : files) {
            try {
                long size = java.nio.file.Files.size(f);
                resident += residentFraction(f) * size;
                total += size;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return total == 0 ? 0 : resident / total;
    }
}
