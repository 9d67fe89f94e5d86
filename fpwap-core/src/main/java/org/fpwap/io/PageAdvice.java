package org.fpwap.io;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;
import java.util.Optional;

/**
 * Page-cache hints for a mapped file, as Lucene's {@code MMapDirectory} gives them: {@code madvise}
 * through FFM where the platform has it, a no-op everywhere else.
 *
 * <p>Advice is only ever a hint, so nothing here throws: without native access or a libc symbol the no-op
 * is used, and a call the kernel refuses returns false. The caller counts refusals and the sweep reports them
 * in the profile, because the residual buffer's flat resident set depends on {@code MADV_DONTNEED} working.
 */
public abstract sealed class PageAdvice {
    /** {@code MADV_WILLNEED} on Linux and macOS alike. */
    private static final int MADV_WILLNEED = 3;
    /** {@code MADV_DONTNEED} on Linux and macOS alike. */
    private static final int MADV_DONTNEED = 4;

    private static final PageAdvice INSTANCE = load();

    /**
     * Returns the advice available on this platform.
     *
     * @return {@code madvise}-backed advice, or a no-op
     */
    public static PageAdvice platform() {
        return INSTANCE;
    }

    /**
     * Asks the kernel to start reading {@code [offset, offset + length)} of a mapping in the background.
     *
     * @param mapping a mapped file segment
     * @param offset byte offset in the mapping
     * @param length bytes
     * @return false if the kernel refused the advice (the no-op never fails)
     */
    public abstract boolean willNeed(MemorySegment mapping, long offset, long length);

    /**
     * Drops {@code [offset, offset + length)} of a shared file mapping from this process's resident set.
     * No data is lost: the pages stay in the page cache (dirty ones are written back as usual) and a
     * later access maps them again. This keeps the resident set from growing with a residual file that
     * is larger than RAM.
     *
     * @param mapping a shared, mapped file segment
     * @param offset byte offset in the mapping
     * @param length bytes
     * @return false if the kernel refused the advice (the no-op never fails)
     */
    public abstract boolean dontNeed(MemorySegment mapping, long offset, long length);

    /**
     * Tells whether advice reaches the kernel.
     *
     * @return false for the no-op fallback
     */
    public abstract boolean isNative();

    private static PageAdvice load() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (!os.contains("linux") && !os.contains("mac")) {
            return new NoOp();
        }
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            Optional<MemorySegment> madvise = libc.find("madvise");
            Optional<MemorySegment> getpagesize = libc.find("getpagesize");
            if (madvise.isEmpty() || getpagesize.isEmpty()) {
                return new NoOp();
            }
            MethodHandle pageSizeHandle = linker.downcallHandle(getpagesize.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT));
            MethodHandle madviseHandle = linker.downcallHandle(madvise.get(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
            int pageSize = (int) pageSizeHandle.invokeExact();
            if (pageSize <= 0 || Integer.bitCount(pageSize) != 1) {
                return new NoOp();
            }
            return new Madvise(madviseHandle, pageSize);
        } catch (Throwable e) {
            // Native access denied (IllegalCallerException), unsupported linker, anything else:
            // advice is optional, so fall back silently.
            return new NoOp();
        }
    }

    /** Advice that does nothing, where the platform has no {@code madvise}. */
    public static final class NoOp extends PageAdvice {
        @Override
        public boolean willNeed(MemorySegment mapping, long offset, long length) {
            // Pages are read on first touch.
            return true;
        }

        @Override
        public boolean dontNeed(MemorySegment mapping, long offset, long length) {
            // The kernel reclaims pages under memory pressure on its own.
            return true;
        }

        @Override
        public boolean isNative() {
            return false;
        }
    }

    /** Advice through a bound {@code madvise(void*, size_t, int)}; tests bind a recording or refusing handle. */
    public static final class Madvise extends PageAdvice {
        private final MethodHandle madvise;
        private final long pageMask;

        /**
         * @param madvise a handle of type {@code (MemorySegment, long, int) int}, returning 0 on success
         * @param pageSize the page size, a power of two
         */
        public Madvise(MethodHandle madvise, int pageSize) {
            this.madvise = madvise;
            this.pageMask = pageSize - 1L;
        }

        @Override
        public boolean willNeed(MemorySegment mapping, long offset, long length) {
            return advise(mapping, offset, length, MADV_WILLNEED);
        }

        @Override
        public boolean dontNeed(MemorySegment mapping, long offset, long length) {
            return advise(mapping, offset, length, MADV_DONTNEED);
        }

        private boolean advise(MemorySegment mapping, long offset, long length, int advice) {
            if (length <= 0) {
                return true;
            }
            // madvise needs a page-aligned start; the mapping itself starts on a page boundary. Widening to
            // whole pages is safe for both advices on a shared file mapping (no data is ever discarded).
            long start = mapping.address() + offset;
            long alignedStart = start & ~pageMask;
            long alignedLength = length + (start - alignedStart);
            try {
                return (int) madvise.invokeExact(MemorySegment.ofAddress(alignedStart), alignedLength, advice) == 0;
            } catch (Throwable e) {
                // A hint that cannot be given changes no data; the caller counts it.
                return false;
            }
        }

        @Override
        public boolean isNative() {
            return true;
        }
    }
}
