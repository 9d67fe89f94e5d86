package org.fpwap.buffer;

import java.nio.file.Path;

/**
 * The file system holding the working directory has too little usable space for the residual buffer.
 *
 * <p>Thrown before anything is created, so nothing needs cleaning up; the numbers let a preflight
 * report say exactly how much to free or which transport (BF16 halves the need) would fit.
 */
public final class InsufficientDiskSpaceException extends ResidualBufferException {
    private static final long serialVersionUID = 1L;

    private final long bytesNeeded;
    private final long bytesFree;

    /**
     * Creates the exception.
     *
     * @param file the buffer file that would have been created
     * @param bytesNeeded the file's size
     * @param bytesFree the usable space found on the file system
     */
    public InsufficientDiskSpaceException(Path file, long bytesNeeded, long bytesFree) {
        super(file, "not enough disk space for the residual buffer: need " + bytesNeeded + " bytes ("
                + gib(bytesNeeded) + "), " + bytesFree + " bytes (" + gib(bytesFree) + ") free; free space, choose "
                + "a working directory on a larger disk, or use the BF16 transport (half the size, lossy)", null);
        this.bytesNeeded = bytesNeeded;
        this.bytesFree = bytesFree;
    }

    /**
     * Returns the size the buffer's file needs.
     *
     * @return bytes needed
     */
    public long bytesNeeded() {
        return bytesNeeded;
    }

    /**
     * Returns the usable space found.
     *
     * @return bytes free
     */
    public long bytesFree() {
        return bytesFree;
    }

    private static String gib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
    }
}
