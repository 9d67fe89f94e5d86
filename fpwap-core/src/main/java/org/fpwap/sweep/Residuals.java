package org.fpwap.sweep;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.fpwap.buffer.InsufficientDiskSpaceException;
import org.fpwap.buffer.ResidualBuffer;

/**
 * The residual stream's storage for one run: one buffer updated in place, or (for a journaled run) two
 * that alternate, layer L reading {@code residual-(L mod 2)} and writing the other. With two, the input of
 * the layer in progress is never overwritten, so after a crash the layer can be redone from the buffer the
 * journal's last committed layer wrote. Twice the disk, the price of being resumable.
 */
final class Residuals implements AutoCloseable {

    private final ResidualBuffer first;
    private final ResidualBuffer second;
    private boolean discard;

    private Residuals(ResidualBuffer first, ResidualBuffer second) {
        this.first = first;
        this.second = second;
    }

    /** One buffer in {@code workDir}, overwritten in place (not resumable). */
    static Residuals single(ResidualBuffer buffer) {
        return new Residuals(buffer, null);
    }

    /**
     * Two alternating buffers in {@code workDir/residual-0} and {@code residual-1}, kept on close (the journal
     * needs them) unless {@link #discardOnClose()}; {@code reopen} maps the files a crashed run left.
     */
    static Residuals alternating(Path workDir, int hidden, long[] order, int[] lengths, ResidualBuffer.Transport transport,
            boolean reopen) {
        if (!reopen) {
            // Each buffer checks its own size, but the first is sparse until written, so both would pass where only
            // one fits: check the pair.
            checkSpaceForTwo(workDir, ResidualBuffer.fileBytesFor(hidden, Arrays.stream(lengths).asLongStream().sum(), transport));
        }
        ResidualBuffer a = open(workDir.resolve("residual-0"), hidden, order, lengths, transport, reopen);
        boolean success = false;
        try {
            ResidualBuffer b = open(workDir.resolve("residual-1"), hidden, order, lengths, transport, reopen);
            success = true;
            return new Residuals(a, b);
        } finally {
            if (!success) {
                a.close();
            }
        }
    }

    private static void checkSpaceForTwo(Path workDir, long bytesEach) {
        long needed = Math.multiplyExact(2, bytesEach);
        long free;
        try {
            Files.createDirectories(workDir);
            free = Files.getFileStore(workDir).getUsableSpace();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot determine the free space in " + workDir + ": " + e.getMessage(), e);
        }
        if (free < needed) {
            throw new InsufficientDiskSpaceException(workDir.resolve("residual-0"), needed, free);
        }
    }

    private static ResidualBuffer open(Path dir, int hidden, long[] order, int[] lengths, ResidualBuffer.Transport transport,
            boolean reopen) {
        return reopen ? ResidualBuffer.reopen(dir, hidden, order, lengths, transport, true)
                : ResidualBuffer.create(dir, hidden, order, lengths, transport, true);
    }

    /** Where the embedding pass writes (layer 0's input). */
    ResidualBuffer embedded() {
        return first;
    }

    /** Layer {@code layer}'s input. */
    ResidualBuffer input(int layer) {
        return second == null || layer % 2 == 0 ? first : second;
    }

    /** Where layer {@code layer} writes its output. */
    ResidualBuffer output(int layer) {
        return second == null || layer % 2 == 1 ? first : second;
    }

    /** Bytes read from both buffers. */
    long bytesRead() {
        return first.bytesRead() + (second == null ? 0 : second.bytesRead());
    }

    /** Bytes written to both buffers. */
    long bytesWritten() {
        return first.bytesWritten() + (second == null ? 0 : second.bytesWritten());
    }

    /** Whether the buffers' page advice reached the kernel (both must). */
    boolean adviceIsNative() {
        return first.adviceIsNative() && (second == null || second.adviceIsNative());
    }

    /** {@code madvise} calls the kernel refused, over both buffers. */
    long adviceFailures() {
        return first.adviceFailures() + (second == null ? 0 : second.adviceFailures());
    }

    /** Delete the alternating buffers' files on close: the sweep is done with them. */
    void discardOnClose() {
        discard = true;
    }

    @Override
    public void close() {
        try {
            first.close();
        } finally {
            if (second != null) {
                second.close();
                if (discard) {
                    delete(first.path());
                    delete(second.path());
                }
            }
        }
    }

    private static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
            Files.deleteIfExists(file.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the residual buffer " + file + ": " + e.getMessage(), e);
        }
    }
}
