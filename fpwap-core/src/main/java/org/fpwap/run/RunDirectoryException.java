package org.fpwap.run;

/**
 * A run directory cannot be used as asked: it is locked by another process, holds an earlier run, or its
 * journal does not match this run. The message names the directory and what to do.
 */
public final class RunDirectoryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** With a message naming the directory and the remedy. */
    public RunDirectoryException(String message) {
        super(message);
    }

    /** With a message and the I/O failure behind it. */
    public RunDirectoryException(String message, Throwable cause) {
        super(message, cause);
    }
}
