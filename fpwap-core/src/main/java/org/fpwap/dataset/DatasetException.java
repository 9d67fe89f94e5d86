package org.fpwap.dataset;

/** Bad input data: the message names the file, the line, the field and the value. */
public final class DatasetException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with a complete message. */
    public DatasetException(String message) {
        super(message);
    }
}
