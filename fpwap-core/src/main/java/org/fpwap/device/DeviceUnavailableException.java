package org.fpwap.device;

/** A requested compute device that is absent or that this engine build cannot use; says how to get it. */
public final class DeviceUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with a complete, actionable message. */
    public DeviceUnavailableException(String message) {
        super(message);
    }
}
