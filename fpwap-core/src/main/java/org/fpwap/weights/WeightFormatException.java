package org.fpwap.weights;

/**
 * A checkpoint whose tensors do not match what the model's config implies: a missing tensor, a wrong
 * shape or an unsupported dtype. The message names the directory, the tensor, and expected vs actual.
 */
public final class WeightFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with a complete message. */
    public WeightFormatException(String message) {
        super(message);
    }
}
