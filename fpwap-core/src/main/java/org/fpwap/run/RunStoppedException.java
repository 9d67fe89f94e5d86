package org.fpwap.run;

import static java.util.Objects.requireNonNull;

/** A sweep stopped at a safe point because its {@link StopToken} asked it to; not a failure. */
public final class RunStoppedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String reason;

    /**
     * @param reason why the stop was requested (e.g. {@code SIGINT})
     * @param where the last thing completed before stopping
     */
    public RunStoppedException(String reason, String where) {
        super("stopped (" + requireNonNull(reason, "reason is null") + ") after " + where);
        this.reason = reason;
    }

    /** Why the stop was requested (e.g. {@code SIGINT}). */
    public String reason() {
        return reason;
    }
}
