package org.fpwap.spark;

/** The model directory cannot be read on an executor; the message names the path and the host. */
public final class ModelUnreadableException extends RuntimeException {

    /** With the message to show the user. */
    public ModelUnreadableException(String message) {
        super(message);
    }
}
