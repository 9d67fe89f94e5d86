package org.fpwap.sweep;

import static java.util.Objects.requireNonNull;

import org.fpwap.run.StopToken;

/**
 * How a sweep survives interruptions, as the builder collected it.
 *
 * @param journal keep a journal in the work directory so the run can be resumed after a crash
 * @param resume continue the run whose journal the work directory holds (implies {@code journal})
 * @param stop where a stop at the next safe point is requested
 */
record RunControl(boolean journal, boolean resume, StopToken stop) {
    RunControl {
        requireNonNull(stop, "stop is null");
        if (resume && !journal) {
            throw new IllegalArgumentException("resume needs the journal");
        }
    }
}
