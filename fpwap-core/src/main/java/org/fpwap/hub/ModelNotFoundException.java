package org.fpwap.hub;

/**
 * A model named by a Hugging Face id that is neither a local directory nor in the local cache. The
 * message names every place looked at and the variables that chose the cache; nothing is downloaded.
 */
public final class ModelNotFoundException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with its complete message. */
    public ModelNotFoundException(String message) {
        super(message);
    }
}
