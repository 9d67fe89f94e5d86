package org.fpwap.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * A file system had no room for a file fpwap was about to write. The message names the file, what it was
 * for, the bytes it needed and the bytes free, and says what to do; nothing was written under the file's
 * final name.
 */
public final class DiskSpaceException extends UncheckedIOException {
    private static final long serialVersionUID = 1L;

    private final transient Path path;
    private final long bytesNeeded;
    private final long bytesFree;

    /**
     * Creates the exception.
     *
     * @param path the file that could not be given its space
     * @param what what the file holds, e.g. "the residual buffer"
     * @param bytesNeeded the bytes it needed
     * @param bytesFree the usable bytes on its file system, or -1 if unknown
     * @param cause the I/O error that reported the full disk
     */
    public DiskSpaceException(Path path, String what, long bytesNeeded, long bytesFree, IOException cause) {
        super(message(path, what, bytesNeeded, bytesFree), Objects.requireNonNull(cause, "cause is null"));
        this.path = path;
        this.bytesNeeded = bytesNeeded;
        this.bytesFree = bytesFree;
    }

    private static String message(Path path, String what, long needed, long free) {
        return String.format(Locale.ROOT, "no space left on the device for %s: %s needs %,d bytes but %s; free space "
                + "there or choose a directory on a larger disk (files already written are kept)", what, path, needed,
                free < 0 ? "the free space is unknown" : String.format(Locale.ROOT, "only %,d bytes are free", free));
    }

    /** The file that could not be given its space. */
    public Path path() {
        return path;
    }

    /** The bytes the file needed. */
    public long bytesNeeded() {
        return bytesNeeded;
    }

    /** The usable bytes found on the file system, or -1 if unknown. */
    public long bytesFree() {
        return bytesFree;
    }
}
