package org.fpwap.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Gives a file all its blocks before the file is mapped for writing.
 *
 * <p>A store into a mapped page that the file system cannot back (a full disk, a full tmpfs, a quota)
 * raises SIGBUS, which the JVM turns into an {@link InternalError} at an arbitrary store, or worse. Asking
 * for the blocks up front turns that into one catchable error before any data is written:
 * {@code posix_fallocate} through FFM on Linux (metadata only on ext4, xfs, btrfs and tmpfs, so it costs
 * nothing for data that will be written anyway), else writing zeros through the channel, which a full
 * disk answers with {@code IOException("No space left on device")}. Existing bytes are never changed:
 * both paths only add blocks from the file's current end.
 */
public final class SpaceReservation {
    /** {@code ENOSPC}, {@code EFBIG} and {@code EDQUOT} on Linux: the errors that mean "no room". */
    private static final int ENOSPC = 28;
    private static final int EFBIG = 27;
    private static final int EDQUOT = 122;
    /** {@code O_WRONLY} on Linux. */
    private static final int O_WRONLY = 1;
    private static final int ZERO_CHUNK = 1 << 20;

    private static final Optional<Fallocate> FALLOCATE = Fallocate.load();

    private SpaceReservation() {}

    /**
     * Makes sure {@code path} owns blocks for its first {@code bytes} bytes and is at least that long.
     *
     * @param channel an open, writable channel on {@code path}
     * @param path the file, for the native call and the message
     * @param bytes the length the file must have, every block allocated
     * @param what what the file holds, for the message (e.g. "the residual buffer")
     * @throws DiskSpaceException if the file system has no room; the file may then be partly extended,
     *     so callers delete it
     * @throws IOException for any other I/O error
     */
    public static void reserve(FileChannel channel, Path path, long bytes, String what) throws IOException {
        Objects.requireNonNull(channel, "channel is null");
        Objects.requireNonNull(path, "path is null");
        Objects.requireNonNull(what, "what is null");
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must be non-negative, got " + bytes);
        }
        if (bytes == 0) {
            return;
        }
        if (FALLOCATE.isPresent()) {
            int error = FALLOCATE.get().allocate(path, bytes);
            if (error == 0) {
                return;
            }
            if (error == ENOSPC || error == EFBIG || error == EDQUOT) {
                throw new DiskSpaceException(path, what, bytes, usableSpace(path),
                        new IOException("posix_fallocate: " + (error == ENOSPC ? "No space left on device"
                                : error == EFBIG ? "File too large" : "Disk quota exceeded") + " (errno " + error + ")"));
            }
            // Any other error (a file system without the call, a libc quirk): fall back to writing zeros.
        }
        zeroFill(channel, path, bytes, what);
    }

    /** Writes zeros from the file's end to {@code bytes}; a full disk fails the write, not a later store. */
    private static void zeroFill(FileChannel channel, Path path, long bytes, String what) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(ZERO_CHUNK, bytes));
        long position = channel.size();
        try {
            while (position < bytes) {
                zeros.clear().limit((int) Math.min(zeros.capacity(), bytes - position));
                while (zeros.hasRemaining()) {
                    position += channel.write(zeros, position);
                }
            }
        } catch (IOException e) {
            if (isNoSpace(e)) {
                throw new DiskSpaceException(path, what, bytes, usableSpace(path), e);
            }
            throw e;
        }
    }

    /**
     * Tells whether an I/O error reports a full file system or quota, as the JDK words it on Linux and macOS.
     *
     * @param e the error
     * @return true for "No space left on device", "Disk quota exceeded" and "File too large"
     */
    public static boolean isNoSpace(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = t.getMessage();
            if (message != null) {
                String m = message.toLowerCase(Locale.ROOT);
                if (m.contains("no space left") || m.contains("disk quota exceeded") || m.contains("file too large")) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * The usable bytes on {@code path}'s file system, or -1 if they cannot be read.
     *
     * @param path a file or directory (its parent is asked when it does not exist)
     * @return usable bytes, or -1
     */
    public static long usableSpace(Path path) {
        try {
            Path probe = Files.exists(path) ? path : path.toAbsolutePath().getParent();
            return probe == null ? -1 : Files.getFileStore(probe).getUsableSpace();
        } catch (IOException e) {
            return -1;
        }
    }

    /** {@code open} + {@code posix_fallocate} + {@code close} from libc, when the platform has them. */
    private record Fallocate(MethodHandle open, MethodHandle fallocate, MethodHandle close) {

        static Optional<Fallocate> load() {
            if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
                return Optional.empty();
            }
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                Optional<MemorySegment> open = libc.find("open");
                Optional<MemorySegment> fallocate = libc.find("posix_fallocate");
                Optional<MemorySegment> close = libc.find("close");
                if (open.isEmpty() || fallocate.isEmpty() || close.isEmpty()) {
                    return Optional.empty();
                }
                return Optional.of(new Fallocate(
                        linker.downcallHandle(open.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), Linker.Option.firstVariadicArg(2)),
                        linker.downcallHandle(fallocate.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                                ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG)),
                        linker.downcallHandle(close.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT))));
            } catch (RuntimeException e) {
                // Native access not granted or no linker for this platform: the zero-writing fallback is always correct.
                return Optional.empty();
            }
        }

        /** 0 on success, else the error number ({@code posix_fallocate} returns it rather than setting errno). */
        int allocate(Path path, long bytes) {
            try (Arena arena = Arena.ofConfined()) {
                int fd = (int) open.invokeExact(arena.allocateFrom(path.toAbsolutePath().toString()), O_WRONLY, 0);
                if (fd < 0) {
                    return -1;
                }
                try {
                    return (int) fallocate.invokeExact(fd, 0L, bytes);
                } finally {
                    int ignored = (int) close.invokeExact(fd);
                }
            } catch (Throwable e) {
                return -1;
            }
        }
    }
}
