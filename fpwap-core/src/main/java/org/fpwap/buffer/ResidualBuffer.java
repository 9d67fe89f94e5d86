package org.fpwap.buffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import org.fpwap.forward.PaddingSide;
import org.fpwap.io.PageAdvice;
import org.fpwap.io.SpaceReservation;
import org.fpwap.safetensors.Widening;

/**
 * The residual stream of a whole dataset between layers: one memory-mapped file of rows
 * {@code [token, hiddenSize]} holding <em>real tokens only</em> (no padding bytes on disk), samples
 * packed back to back in processing order (the engine sorts samples by length), with the offsets
 * table and the permutation back to dataset order kept in memory.
 *
 * <p>Each layer reads every microbatch once and writes its output back over its input in place,
 * so the file is sized once at {@link #create} and never grows. It is created sparse: disk blocks
 * are allocated as rows are first written, and because the whole file is one long-indexed mapping
 * it may exceed 2 GB and the machine's RAM (the kernel pages it in and out). No heap is allocated
 * in proportion to the file: only the per-sample tables ({@code O(samples)}).
 *
 * <h2>Transport</h2>
 * {@link Transport#FP32} stores every bit and is the default. {@link Transport#BF16} halves the file
 * and the disk traffic but is <strong>lossy</strong>: each element is rounded to the nearest
 * BF16 (ties to even, as {@link Widening#f32ToBf16(float)}) when written and widened exactly when
 * read, so every layer's input carries about 3 significant decimal digits. Computation stays FP32.
 *
 * <h2>Padding</h2>
 * {@link #readPadded} lays each sample's rows into a {@code [count, width, hiddenSize]} block and
 * fills every pad position with {@code +0.0f}, whatever the destination held before, so a
 * microbatch always sees identical pad values (the bit-exact reproducibility of the engine relies
 * on it). {@link #writePadded} writes back the real rows and ignores pad positions entirely.
 *
 * <h2>Memory layout of external data</h2>
 * {@code float[]} arguments are Java arrays; {@link MemorySegment} arguments hold little-endian FP32
 * (what DJL wraps zero-copy), start at byte offset 0 and must be exactly as long as the block.
 *
 * <h2>Threads and lifetime</h2>
 * The buffer owns one shared {@link Arena}; any thread may read or write, and calls touching
 * disjoint samples may run concurrently (the prefetch thread reads microbatch {@code i+1} while the
 * compute thread writes microbatch {@code i}). Concurrent access to the same sample is the caller's
 * race. The byte counters are {@link LongAdder}s, safe under that concurrency. {@link #close()}
 * unmaps the file and deletes it unless asked to keep it (for resume); afterwards every method that
 * touches the rows throws {@link IllegalStateException}. Nothing may still point into a segment the
 * buffer filled when it is closed (close DJL arrays wrapping caller memory first, as usual).
 */
public final class ResidualBuffer implements AutoCloseable {

    /** The largest window the kernel maps around a read fault of a file page (one page table: 2 MiB on x86-64). */
    private static final long FAULT_AROUND_WINDOW = 2L << 20;

    /** How elements are stored in the file. Computation is FP32 either way. */
    public enum Transport {
        /** Four bytes per element, every bit kept. */
        FP32(4),
        /** Two bytes per element, rounded to nearest even on write, widened exactly on read: lossy. */
        BF16(2);

        private final int bytesPerElement;

        Transport(int bytesPerElement) {
            this.bytesPerElement = bytesPerElement;
        }

        /**
         * Returns the bytes one element takes in the file.
         *
         * @return 4 for FP32, 2 for BF16
         */
        public int bytesPerElement() {
            return bytesPerElement;
        }

        /**
         * Returns the file name a buffer of this transport uses in its working directory.
         *
         * @return {@code residual.fp32.bin} or {@code residual.bf16.bin}
         */
        public String fileName() {
            return "residual." + name().toLowerCase(Locale.ROOT) + ".bin";
        }
    }

    /** Reads the usable space of a directory's file system; injectable so tests can simulate a full disk. */
    @FunctionalInterface
    interface SpaceProbe {
        long usableSpace(Path directory) throws IOException;
    }

    static final SpaceProbe FILE_STORE = directory -> Files.getFileStore(directory).getUsableSpace();

    private static final ValueLayout.OfFloat F32_FILE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort BF16_FILE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** External off-heap blocks: little-endian, as DJL wraps them. */
    private static final ValueLayout.OfFloat F32_SEGMENT = F32_FILE;
    /** Heap arrays viewed as segments: native order, which is how {@code float[]} stores them. */
    private static final ValueLayout.OfFloat F32_ARRAY = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Elements narrowed or widened per heap round trip for BF16: fits L1/L2 and amortises the copies. */
    private static final int CHUNK = 4096;

    private final Path path;
    private final int hiddenSize;
    private final Transport transport;
    private final boolean keep;
    private final long[] sampleIds;
    private final int[] lengths;
    /** Token row of each sample's first row; one extra entry holding the total. */
    private final long[] tokenOffsets;
    private final SampleIndex index;
    private final Arena arena;
    private final MemorySegment mapping;
    private final PageAdvice advice;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final LongAdder bytesRead = new LongAdder();
    private final LongAdder bytesWritten = new LongAdder();
    private final LongAdder adviceFailures = new LongAdder();
    /** Where the last {@link #release} ended, to recognise a pass that releases rows in processing order. */
    private final AtomicLong lastReleaseEnd = new AtomicLong(-1);

    private ResidualBuffer(Path path, int hiddenSize, Transport transport, boolean keep, long[] sampleIds,
                           int[] lengths, long[] tokenOffsets, SampleIndex index, Arena arena,
                           MemorySegment mapping, PageAdvice advice) {
        this.path = path;
        this.hiddenSize = hiddenSize;
        this.transport = transport;
        this.keep = keep;
        this.sampleIds = sampleIds;
        this.lengths = lengths;
        this.tokenOffsets = tokenOffsets;
        this.index = index;
        this.arena = arena;
        this.mapping = mapping;
        this.advice = advice;
    }

    /**
     * Returns the size of the file a buffer needs, for preflight.
     *
     * @param hiddenSize elements per token row
     * @param totalTokens real tokens in the whole dataset
     * @param transport the storage type
     * @return {@code totalTokens × hiddenSize × transport.bytesPerElement()}
     * @throws ArithmeticException if that overflows a long
     */
    public static long fileBytesFor(int hiddenSize, long totalTokens, Transport transport) {
        Objects.requireNonNull(transport, "transport is null");
        checkArgument(hiddenSize > 0, "hiddenSize must be positive, got %s", hiddenSize);
        checkArgument(totalTokens >= 0, "totalTokens must be non-negative, got %s", totalTokens);
        return Math.multiplyExact(Math.multiplyExact(totalTokens, (long) hiddenSize), transport.bytesPerElement());
    }

    /**
     * Creates the buffer's file {@code workDir/residual.<fp32|bf16>.bin} (replacing any file of that
     * name), sized for every real token, and maps it read-write. Rows read as zero until written.
     *
     * @param workDir the run's working directory; created if missing
     * @param hiddenSize elements per token row
     * @param sampleIdsInProcessingOrder dataset id of each sample, in the order the engine processes
     *     them; non-negative and unique (copied)
     * @param lengthsInProcessingOrder real token count of each sample, positive (copied)
     * @param transport how elements are stored; {@link Transport#BF16} is lossy
     * @param keep leave the file on disk at {@link #close()} (for resume) instead of deleting it
     * @return the open buffer; close it
     * @throws IllegalArgumentException if the arrays differ in length, are empty, or hold a bad id or length
     * @throws InsufficientDiskSpaceException if the file system lacks room for the whole file
     * @throws ResidualBufferException if the file cannot be created or mapped
     */
    public static ResidualBuffer create(Path workDir, int hiddenSize, long[] sampleIdsInProcessingOrder,
                                        int[] lengthsInProcessingOrder, Transport transport, boolean keep) {
        return create(workDir, hiddenSize, sampleIdsInProcessingOrder, lengthsInProcessingOrder, transport, keep,
                FILE_STORE);
    }

    static ResidualBuffer create(Path workDir, int hiddenSize, long[] sampleIdsInProcessingOrder,
                                 int[] lengthsInProcessingOrder, Transport transport, boolean keep,
                                 SpaceProbe space) {
        return create(workDir, hiddenSize, sampleIdsInProcessingOrder, lengthsInProcessingOrder, transport, keep, space,
                PageAdvice.platform());
    }

    static ResidualBuffer create(Path workDir, int hiddenSize, long[] sampleIdsInProcessingOrder,
                                 int[] lengthsInProcessingOrder, Transport transport, boolean keep,
                                 SpaceProbe space, PageAdvice advice) {
        return map(workDir, hiddenSize, sampleIdsInProcessingOrder, lengthsInProcessingOrder, transport, keep, space, true,
                advice);
    }

    /**
     * Maps the buffer file an earlier {@link #create} left in {@code workDir} (with {@code keep}), contents
     * intact, for a resumed run; the same layout arguments must be given. A missing file or one of another
     * size is an error.
     *
     * @throws ResidualBufferException if the file is missing, has the wrong size, or cannot be mapped
     */
    public static ResidualBuffer reopen(Path workDir, int hiddenSize, long[] sampleIdsInProcessingOrder,
                                        int[] lengthsInProcessingOrder, Transport transport, boolean keep) {
        Path path = workDir.resolve(transport.fileName());
        long expected = fileBytesFor(hiddenSize, java.util.Arrays.stream(lengthsInProcessingOrder).asLongStream().sum(), transport);
        try {
            long actual = Files.size(path);
            if (actual != expected) {
                throw new ResidualBufferException(path, "the kept residual buffer has " + actual + " bytes, expected "
                        + expected + "; it belongs to another run", null);
            }
        } catch (IOException e) {
            throw new ResidualBufferException(path, "cannot reopen the kept residual buffer: " + e, e);
        }
        return map(workDir, hiddenSize, sampleIdsInProcessingOrder, lengthsInProcessingOrder, transport, keep, FILE_STORE, false,
                PageAdvice.platform());
    }

    private static ResidualBuffer map(Path workDir, int hiddenSize, long[] sampleIdsInProcessingOrder,
                                      int[] lengthsInProcessingOrder, Transport transport, boolean keep,
                                      SpaceProbe space, boolean truncate, PageAdvice advice) {
        Objects.requireNonNull(workDir, "workDir is null");
        Objects.requireNonNull(transport, "transport is null");
        Objects.requireNonNull(space, "space is null");
        long[] ids = Objects.requireNonNull(sampleIdsInProcessingOrder, "sampleIdsInProcessingOrder is null").clone();
        int[] lengths = Objects.requireNonNull(lengthsInProcessingOrder, "lengthsInProcessingOrder is null").clone();
        checkArgument(hiddenSize > 0, "hiddenSize must be positive, got %s", hiddenSize);
        checkArgument(ids.length == lengths.length,
                "need one length per sample id, got %s ids and %s lengths", ids.length, lengths.length);
        checkArgument(ids.length > 0, "a residual buffer needs at least one sample, got none");
        long[] tokenOffsets = new long[lengths.length + 1];
        for (int i = 0; i < lengths.length; i++) {
            if (lengths[i] <= 0) {
                throw new IllegalArgumentException("sample lengths must be positive, got " + lengths[i]
                        + " for sample id " + ids[i] + " at processing index " + i);
            }
            tokenOffsets[i + 1] = tokenOffsets[i] + lengths[i];
        }
        SampleIndex index = SampleIndex.of(ids);
        long fileBytes = fileBytesFor(hiddenSize, tokenOffsets[lengths.length], transport);

        Path path = workDir.resolve(transport.fileName());
        try {
            Files.createDirectories(workDir);
        } catch (IOException e) {
            throw new ResidualBufferException(path, "cannot create the working directory " + workDir + ": " + e, e);
        }
        checkSpace(path, fileBytes, space);

        Arena arena = Arena.ofShared();
        boolean success = false;
        // The channel is closed right after mapping: the mapping stays valid until the arena closes.
        try (FileChannel channel = truncate
                ? FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                        StandardOpenOption.READ, StandardOpenOption.WRITE)
                : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            // Every block is allocated before mapping: a store into a page the disk cannot back would be SIGBUS.
            // (A kept buffer reopened for resume is already allocated; reserving again costs nothing.)
            SpaceReservation.reserve(channel, path, fileBytes, "the residual buffer");
            MemorySegment mapping = channel.map(FileChannel.MapMode.READ_WRITE, 0, fileBytes, arena);
            ResidualBuffer buffer = new ResidualBuffer(path, hiddenSize, transport, keep, ids, lengths, tokenOffsets,
                    index, arena, mapping, Objects.requireNonNull(advice, "advice is null"));
            success = true;
            return buffer;
        } catch (IOException e) {
            throw new ResidualBufferException(path, "cannot create or map the residual buffer of " + fileBytes
                    + " bytes: " + e, e);
        } finally {
            if (!success) {
                arena.close();
                if (truncate) {
                    deleteQuietly(path);
                }
            }
        }
    }

    private static void checkSpace(Path path, long fileBytes, SpaceProbe space) {
        long free;
        try {
            free = space.usableSpace(path.getParent());
            // A file we are about to truncate gives its blocks back.
            if (Files.exists(path)) {
                free += Files.size(path);
            }
        } catch (IOException e) {
            throw new ResidualBufferException(path, "cannot determine the free space for the residual buffer of "
                    + fileBytes + " bytes: " + e, e);
        }
        if (free < fileBytes) {
            throw new InsufficientDiskSpaceException(path, fileBytes, free);
        }
    }

    // ---------------------------------------------------------------- accessors

    /**
     * Returns the elements per token row.
     *
     * @return the model's hidden size
     */
    public int hiddenSize() {
        return hiddenSize;
    }

    /**
     * Returns the number of samples.
     *
     * @return N
     */
    public int sampleCount() {
        return lengths.length;
    }

    /**
     * Returns the real tokens across all samples (the file's row count).
     *
     * @return the sum of all lengths
     */
    public long totalTokens() {
        return tokenOffsets[lengths.length];
    }

    /**
     * Returns the file's size in bytes.
     *
     * @return {@code totalTokens() × hiddenSize() × transport().bytesPerElement()}
     */
    public long fileBytes() {
        return mapping.byteSize();
    }

    /**
     * Returns the file's path.
     *
     * @return {@code workDir/residual.<fp32|bf16>.bin}
     */
    public Path path() {
        return path;
    }

    /**
     * Returns how elements are stored.
     *
     * @return the transport chosen at creation
     */
    public Transport transport() {
        return transport;
    }

    /**
     * Tells whether {@link #close()} leaves the file on disk.
     *
     * @return the {@code keep} flag given at creation
     */
    public boolean keepsFile() {
        return keep;
    }

    /**
     * Returns the token row of a sample's first row.
     *
     * @param processingIndex a position in processing order
     * @return the sum of the lengths of all earlier samples
     * @throws IndexOutOfBoundsException if the index is out of range
     */
    public long offsetOf(int processingIndex) {
        return tokenOffsets[checkIndex(processingIndex)];
    }

    /**
     * Returns a sample's real token count.
     *
     * @param processingIndex a position in processing order
     * @return its length
     * @throws IndexOutOfBoundsException if the index is out of range
     */
    public int length(int processingIndex) {
        return lengths[checkIndex(processingIndex)];
    }

    /**
     * Returns a sample's dataset id.
     *
     * @param processingIndex a position in processing order
     * @return its id
     * @throws IndexOutOfBoundsException if the index is out of range
     */
    public long sampleId(int processingIndex) {
        return sampleIds[checkIndex(processingIndex)];
    }

    /**
     * Returns where a dataset sample sits in processing order: the inverse of {@link #sampleId(int)}.
     *
     * @param sampleId a dataset id given at creation
     * @return its processing index
     * @throws IllegalArgumentException if no sample has that id
     */
    public int processingIndexOf(long sampleId) {
        int found = index.indexOf(sampleId);
        if (found == SampleIndex.ABSENT) {
            throw new IllegalArgumentException("sample id " + sampleId + " is not in the residual buffer " + path
                    + " (" + lengths.length + " samples)");
        }
        return found;
    }

    /**
     * Returns the file bytes read so far (real rows only; pads cost no I/O). Safe to call from any thread.
     *
     * @return cumulative bytes read from the file (2 per element for BF16)
     */
    public long bytesRead() {
        return bytesRead.sum();
    }

    /**
     * Returns the file bytes written so far (real rows only). Safe to call from any thread.
     *
     * @return cumulative bytes written to the file (2 per element for BF16)
     */
    public long bytesWritten() {
        return bytesWritten.sum();
    }

    // ---------------------------------------------------------------- per-sample I/O

    /**
     * Writes one sample's rows: {@code length × hiddenSize} floats from {@code rows[fromIndex]}.
     *
     * @param processingIndex the sample's position in processing order
     * @param rows the source array
     * @param fromIndex index of the sample's first element in {@code rows}
     * @throws IndexOutOfBoundsException if the index or the source range is out of bounds
     * @throws IllegalStateException if the buffer is closed
     * @throws ResidualBufferException on an I/O error (a full disk, say) while writing the mapping
     */
    public void writeSample(int processingIndex, float[] rows, int fromIndex) {
        Objects.requireNonNull(rows, "rows is null");
        checkIndex(processingIndex);
        long elements = (long) lengths[processingIndex] * hiddenSize;
        checkArrayRange("rows", rows.length, fromIndex, elements, processingIndex);
        ensureOpen();
        try {
            writeRows(MemorySegment.ofArray(rows), F32_ARRAY, 4L * fromIndex, tokenOffsets[processingIndex] * hiddenSize,
                    elements, Scratch.forTransport(transport));
        } catch (InternalError e) {
            throw ioFault("writing", processingIndex, 1, e);
        }
        bytesWritten.add(elements * transport.bytesPerElement());
    }

    /**
     * Reads one sample's rows: {@code length × hiddenSize} floats into {@code dst[toIndex]}.
     *
     * @param processingIndex the sample's position in processing order
     * @param dst the destination array
     * @param toIndex index in {@code dst} of the sample's first element
     * @throws IndexOutOfBoundsException if the index or the destination range is out of bounds
     * @throws IllegalStateException if the buffer is closed
     */
    public void readSample(int processingIndex, float[] dst, int toIndex) {
        Objects.requireNonNull(dst, "dst is null");
        checkIndex(processingIndex);
        long elements = (long) lengths[processingIndex] * hiddenSize;
        checkArrayRange("dst", dst.length, toIndex, elements, processingIndex);
        ensureOpen();
        try {
            readRows(tokenOffsets[processingIndex] * hiddenSize, MemorySegment.ofArray(dst), F32_ARRAY, 4L * toIndex,
                    elements, Scratch.forTransport(transport));
        } catch (InternalError e) {
            throw ioFault("reading", processingIndex, 1, e);
        }
        bytesRead.add(elements * transport.bytesPerElement());
    }

    // ---------------------------------------------------------------- per-microbatch I/O

    /**
     * Reads the microbatch of processing indices {@code [first, first + count)} into a padded block
     * {@code [count, width, hiddenSize]} (row-major). Sample {@code b}'s rows land at positions
     * {@code [offset, offset + length)} of row {@code b}, where offset is 0 for
     * {@link PaddingSide#RIGHT} and {@code width − length} for {@link PaddingSide#LEFT}; every other
     * position is set to {@code +0.0f}.
     *
     * @param first processing index of the first sample
     * @param count number of samples, at least 1
     * @param width padded length, at least every sample's length
     * @param side where pads go
     * @param dst the block; its length must be exactly {@code count × width × hiddenSize}
     * @throws IllegalArgumentException if a sample is longer than {@code width} or {@code dst} has the wrong length
     * @throws IndexOutOfBoundsException if the range is out of bounds
     * @throws IllegalStateException if the buffer is closed
     */
    public void readPadded(int first, int count, int width, PaddingSide side, float[] dst) {
        Objects.requireNonNull(dst, "dst is null");
        long elements = checkMicrobatch(first, count, width, side);
        checkBlockSize("dst", dst.length, "floats", elements, first, count, width);
        readPaddedInto(first, count, width, side, MemorySegment.ofArray(dst), F32_ARRAY);
    }

    /**
     * Reads a microbatch into a padded off-heap block, as {@link #readPadded(int, int, int, PaddingSide, float[])}.
     *
     * @param first processing index of the first sample
     * @param count number of samples, at least 1
     * @param width padded length, at least every sample's length
     * @param side where pads go
     * @param dst little-endian FP32 block of exactly {@code count × width × hiddenSize × 4} bytes
     * @throws IllegalArgumentException if a sample is longer than {@code width}, {@code dst} has the
     *     wrong size, or {@code dst} is read-only
     * @throws IndexOutOfBoundsException if the range is out of bounds
     * @throws IllegalStateException if the buffer is closed
     */
    public void readPadded(int first, int count, int width, PaddingSide side, MemorySegment dst) {
        Objects.requireNonNull(dst, "dst is null");
        long elements = checkMicrobatch(first, count, width, side);
        checkBlockSize("dst", dst.byteSize(), "bytes", Math.multiplyExact(elements, 4L), first, count, width);
        checkArgument(!dst.isReadOnly(), "dst must be writable, got a read-only segment");
        readPaddedInto(first, count, width, side, dst, F32_SEGMENT);
    }

    /**
     * Writes back the real rows of a padded block {@code [count, width, hiddenSize]} to the
     * microbatch {@code [first, first + count)}; pad positions are ignored (they may hold anything).
     *
     * @param first processing index of the first sample
     * @param count number of samples, at least 1
     * @param width padded length, at least every sample's length
     * @param side where the pads are
     * @param src the block; its length must be exactly {@code count × width × hiddenSize}
     * @throws IllegalArgumentException if a sample is longer than {@code width} or {@code src} has the wrong length
     * @throws IndexOutOfBoundsException if the range is out of bounds
     * @throws IllegalStateException if the buffer is closed
     * @throws ResidualBufferException on an I/O error (a full disk, say) while writing the mapping
     */
    public void writePadded(int first, int count, int width, PaddingSide side, float[] src) {
        Objects.requireNonNull(src, "src is null");
        long elements = checkMicrobatch(first, count, width, side);
        checkBlockSize("src", src.length, "floats", elements, first, count, width);
        writePaddedFrom(first, count, width, side, MemorySegment.ofArray(src), F32_ARRAY);
    }

    /**
     * Writes back the real rows of a padded off-heap block, as
     * {@link #writePadded(int, int, int, PaddingSide, float[])}.
     *
     * @param first processing index of the first sample
     * @param count number of samples, at least 1
     * @param width padded length, at least every sample's length
     * @param side where the pads are
     * @param src little-endian FP32 block of exactly {@code count × width × hiddenSize × 4} bytes
     * @throws IllegalArgumentException if a sample is longer than {@code width} or {@code src} has the wrong size
     * @throws IndexOutOfBoundsException if the range is out of bounds
     * @throws IllegalStateException if the buffer is closed
     * @throws ResidualBufferException on an I/O error (a full disk, say) while writing the mapping
     */
    public void writePadded(int first, int count, int width, PaddingSide side, MemorySegment src) {
        Objects.requireNonNull(src, "src is null");
        long elements = checkMicrobatch(first, count, width, side);
        checkBlockSize("src", src.byteSize(), "bytes", Math.multiplyExact(elements, 4L), first, count, width);
        writePaddedFrom(first, count, width, side, src, F32_SEGMENT);
    }

    /**
     * Hints the kernel to start reading a microbatch's rows in the background (a no-op where
     * {@code madvise} is unavailable). The sweep calls it one microbatch ahead; the call returns at once.
     *
     * @param first processing index of the first sample
     * @param count number of samples
     * @throws IndexOutOfBoundsException if the range is out of bounds
     * @throws IllegalStateException if the buffer is closed
     */
    public void prefetch(int first, int count) {
        checkRange(first, count);
        ensureOpen();
        long bytesPerToken = (long) hiddenSize * transport.bytesPerElement();
        long start = tokenOffsets[first] * bytesPerToken;
        long end = tokenOffsets[first + count] * bytesPerToken;
        if (!advice.willNeed(mapping, start, end - start)) {
            adviceFailures.increment();
        }
    }

    /**
     * Tells whether page advice reaches the kernel here ({@code madvise}), or is a no-op on this platform.
     *
     * @return true on Linux and macOS with native access granted
     */
    public boolean adviceIsNative() {
        return advice.isNative();
    }

    /**
     * Counts the {@code madvise} calls the kernel refused. Without {@code MADV_DONTNEED} the rows this
     * buffer released stay in the process's resident set, which then grows with the residual file.
     *
     * @return refused calls so far
     */
    public long adviceFailures() {
        return adviceFailures.sum();
    }

    /**
     * Drops a microbatch's rows from this process's resident memory once they have been read and written
     * for the current layer (a no-op where {@code madvise} is unavailable). The rows stay in the file and
     * the page cache; the next layer maps them again. Without this, every page of the residual file the
     * run ever touched would count towards its resident set, which then grows with the dataset.
     *
     * @param first processing index of the first sample
     * @param count number of samples
     * @throws IndexOutOfBoundsException if the range is out of bounds
     * @throws IllegalStateException if the buffer is closed
     */
    public void release(int first, int count) {
        checkRange(first, count);
        ensureOpen();
        long bytesPerToken = (long) hiddenSize * transport.bytesPerElement();
        long start = tokenOffsets[first] * bytesPerToken;
        long end = tokenOffsets[first + count] * bytesPerToken;
        if (lastReleaseEnd.getAndSet(end) == start) {
            // A pass in processing order. Reading these rows made the kernel map the page-cache pages around
            // each faulting page as well ("fault-around": 64 KiB by default, at most 2 MiB), including pages of rows
            // released before: those would stay mapped until the next layer, a resident set that grows with
            // the dataset (73 MB at 50,000 prompts of width 48). Releasing a window behind the range again
            // drops them; pages that are not mapped cost nothing.
            start = Math.max(0, start - FAULT_AROUND_WINDOW);
        }
        if (!advice.dontNeed(mapping, start, end - start)) {
            adviceFailures.increment();
        }
    }

    /**
     * Forces every written row to storage, so a kept file survives a crash of the machine.
     *
     * @throws IllegalStateException if the buffer is closed
     * @throws ResidualBufferException if the kernel reports an I/O error
     */
    public void force() {
        ensureOpen();
        try {
            mapping.force();
        } catch (UncheckedIOException e) {
            throw new ResidualBufferException(path, "cannot force the residual buffer to storage: " + e.getCause(), e);
        }
    }

    /**
     * Unmaps the file, then deletes it unless the buffer was created with {@code keep} (a kept file
     * is forced to storage first). Idempotent.
     *
     * @throws ResidualBufferException if forcing a kept file or deleting the file fails (the mapping
     *     is released regardless)
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            if (keep) {
                mapping.force();
            }
        } catch (UncheckedIOException e) {
            throw new ResidualBufferException(path, "cannot force the kept residual buffer to storage: " + e.getCause(), e);
        } finally {
            arena.close();
            if (!keep) {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    throw new ResidualBufferException(path, "cannot delete the residual buffer: " + e, e);
                }
            }
        }
    }

    /**
     * Tells whether {@link #close()} has been called.
     *
     * @return true once closed
     */
    public boolean isClosed() {
        return closed.get();
    }

    @Override
    public String toString() {
        return "ResidualBuffer[" + path + ", " + transport + ", " + lengths.length + " samples, " + totalTokens()
                + " tokens × " + hiddenSize + (closed.get() ? ", closed" : "") + "]";
    }

    // ---------------------------------------------------------------- copying

    private void readPaddedInto(int first, int count, int width, PaddingSide side, MemorySegment dst,
                                ValueLayout.OfFloat dstLayout) {
        ensureOpen();
        long rowBytes = 4L * hiddenSize;
        Scratch scratch = Scratch.forTransport(transport);
        long realElements = 0;
        try {
            for (int b = 0; b < count; b++) {
                int p = first + b;
                int length = lengths[p];
                int pads = width - length;
                long sampleStart = (long) b * width * rowBytes;
                long realStart = sampleStart + (side == PaddingSide.LEFT ? pads * rowBytes : 0);
                long padStart = side == PaddingSide.LEFT ? sampleStart : sampleStart + length * rowBytes;
                if (pads > 0) {
                    dst.asSlice(padStart, pads * rowBytes).fill((byte) 0);
                }
                long elements = (long) length * hiddenSize;
                readRows(tokenOffsets[p] * hiddenSize, dst, dstLayout, realStart, elements, scratch);
                realElements += elements;
            }
        } catch (InternalError e) {
            throw ioFault("reading", first, count, e);
        }
        bytesRead.add(realElements * transport.bytesPerElement());
    }

    private void writePaddedFrom(int first, int count, int width, PaddingSide side, MemorySegment src,
                                 ValueLayout.OfFloat srcLayout) {
        ensureOpen();
        long rowBytes = 4L * hiddenSize;
        Scratch scratch = Scratch.forTransport(transport);
        long realElements = 0;
        try {
            for (int b = 0; b < count; b++) {
                int p = first + b;
                int length = lengths[p];
                long sampleStart = (long) b * width * rowBytes;
                long realStart = sampleStart + (side == PaddingSide.LEFT ? (width - length) * rowBytes : 0);
                long elements = (long) length * hiddenSize;
                writeRows(src, srcLayout, realStart, tokenOffsets[p] * hiddenSize, elements, scratch);
                realElements += elements;
            }
        } catch (InternalError e) {
            throw ioFault("writing", first, count, e);
        }
        bytesWritten.add(realElements * transport.bytesPerElement());
    }

    /** Copies {@code elements} file elements starting at element {@code fileElement} into {@code dst}. */
    private void readRows(long fileElement, MemorySegment dst, ValueLayout.OfFloat dstLayout, long dstOffset,
                          long elements, Scratch scratch) {
        if (transport == Transport.FP32) {
            MemorySegment.copy(mapping, F32_FILE, 4 * fileElement, dst, dstLayout, dstOffset, elements);
            return;
        }
        short[] halves = scratch.halves;
        float[] floats = scratch.floats;
        for (long done = 0; done < elements; ) {
            int n = (int) Math.min(CHUNK, elements - done);
            MemorySegment.copy(mapping, BF16_FILE, 2 * (fileElement + done), halves, 0, n);
            for (int i = 0; i < n; i++) {
                floats[i] = Widening.bf16ToF32(halves[i]);
            }
            MemorySegment.copy(floats, 0, dst, dstLayout, dstOffset + 4 * done, n);
            done += n;
        }
    }

    /** Copies {@code elements} floats from {@code src} to the file starting at element {@code fileElement}. */
    private void writeRows(MemorySegment src, ValueLayout.OfFloat srcLayout, long srcOffset, long fileElement,
                           long elements, Scratch scratch) {
        if (transport == Transport.FP32) {
            MemorySegment.copy(src, srcLayout, srcOffset, mapping, F32_FILE, 4 * fileElement, elements);
            return;
        }
        short[] halves = scratch.halves;
        float[] floats = scratch.floats;
        for (long done = 0; done < elements; ) {
            int n = (int) Math.min(CHUNK, elements - done);
            MemorySegment.copy(src, srcLayout, srcOffset + 4 * done, floats, 0, n);
            for (int i = 0; i < n; i++) {
                halves[i] = Widening.f32ToBf16(floats[i]);
            }
            MemorySegment.copy(halves, 0, mapping, BF16_FILE, 2 * (fileElement + done), n);
            done += n;
        }
    }

    /** Per-call staging for BF16 conversion; FP32 copies need none. */
    private record Scratch(short[] halves, float[] floats) {
        private static final Scratch NONE = new Scratch(null, null);

        static Scratch forTransport(Transport transport) {
            return transport == Transport.FP32 ? NONE : new Scratch(new short[CHUNK], new float[CHUNK]);
        }
    }

    /**
     * A fault while touching the mapping (SIGBUS: the disk filled up under a sparse page, or the
     * device failed) surfaces in the JVM as an {@link InternalError}; give it the path and the range.
     */
    private ResidualBufferException ioFault(String action, int first, int count, InternalError e) {
        return new ResidualBufferException(path, "I/O error " + action + " processing indices [" + first + ", "
                + (first + count) + ") of the mapped residual buffer (" + fileBytes() + " bytes; is the disk full?): "
                + e.getMessage(), e);
    }

    // ---------------------------------------------------------------- checks

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("ResidualBuffer " + path + " has been closed already");
        }
    }

    private int checkIndex(int processingIndex) {
        if (processingIndex < 0 || processingIndex >= lengths.length) {
            throw new IndexOutOfBoundsException("processing index " + processingIndex + " is out of range [0, "
                    + lengths.length + ") of the residual buffer " + path);
        }
        return processingIndex;
    }

    private void checkRange(int first, int count) {
        if (count <= 0 || first < 0 || first > lengths.length - count) {
            throw new IndexOutOfBoundsException("microbatch [" + first + ", " + ((long) first + count)
                    + ") (first " + first + ", count " + count + ") is not a non-empty range within the "
                    + lengths.length + " samples [0, " + lengths.length + ") of the residual buffer " + path);
        }
    }

    /** Checks a microbatch and returns its padded element count. */
    private long checkMicrobatch(int first, int count, int width, PaddingSide side) {
        Objects.requireNonNull(side, "side is null");
        checkRange(first, count);
        for (int p = first; p < first + count; p++) {
            if (lengths[p] > width) {
                throw new IllegalArgumentException("width " + width + " is smaller than the length " + lengths[p]
                        + " of processing index " + p + " (sample id " + sampleIds[p] + "); the width must be at"
                        + " least the longest length in [" + first + ", " + (first + count) + ")");
            }
        }
        return Math.multiplyExact(Math.multiplyExact((long) count, (long) width), (long) hiddenSize);
    }

    private void checkBlockSize(String name, long actual, String unit, long expected, int first, int count, int width) {
        if (actual != expected) {
            throw new IllegalArgumentException(name + " must hold exactly count × width × hiddenSize = " + count
                    + " × " + width + " × " + hiddenSize + " floats (" + expected + " " + unit + ") for microbatch ["
                    + first + ", " + (first + count) + "), got " + actual + " " + unit);
        }
    }

    private void checkArrayRange(String name, int arrayLength, int from, long elements, int processingIndex) {
        if (from < 0 || from > arrayLength || elements > arrayLength - from) {
            throw new IndexOutOfBoundsException(name + "[" + from + ", " + (from + elements) + ") is out of bounds for"
                    + " length " + arrayLength + ": processing index " + processingIndex + " has "
                    + lengths[processingIndex] + " tokens × " + hiddenSize + " = " + elements + " floats");
        }
    }

    private static void checkArgument(boolean condition, String template, Object... args) {
        if (!condition) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, template, args));
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // Creation already failed; that error is the one to report.
        }
    }
}
