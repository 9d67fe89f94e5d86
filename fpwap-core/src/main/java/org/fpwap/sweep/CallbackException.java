package org.fpwap.sweep;

/** A callback broke its contract (a bad write-back or emit); the message names the callback, layer and hook. */
public final class CallbackException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with a complete message. */
    public CallbackException(String message) {
        super(message);
    }
}
