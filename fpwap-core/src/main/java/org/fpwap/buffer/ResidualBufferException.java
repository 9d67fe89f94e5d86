package org.fpwap.buffer;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The residual buffer's file cannot be created, mapped, written or read.
 *
 * <p>The message always starts with the file, so a failure deep inside a sweep says which path to
 * look at (a full disk, a missing directory, an I/O error while the kernel wrote a page back).
 */
public class ResidualBufferException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /**
     * Creates an exception about the buffer's file.
     *
     * @param file the buffer's file
     * @param detail what went wrong and what to do about it
     * @param cause the underlying error, or {@code null}
     */
    public ResidualBufferException(Path file, String detail, Throwable cause) {
        super(Objects.requireNonNull(file, "file is null") + ": " + detail, cause);
        this.file = file;
    }

    /**
     * Returns the buffer's file.
     *
     * @return the path the error is about
     */
    public Path file() {
        return file;
    }
}
