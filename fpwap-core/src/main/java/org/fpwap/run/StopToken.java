package org.fpwap.run;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A request, from any thread (a signal handler, a UI), that a sweep stop at its next safe point: after the
 * microbatch in progress. A journaled sweep then leaves its work directory resumable. Thread-safe.
 */
public final class StopToken {

    private final AtomicReference<String> reason = new AtomicReference<>();

    /** A token nobody has requested a stop on yet. */
    public StopToken() {}

    /** Asks for a stop; the first reason (e.g. {@code SIGINT}) is kept. */
    public void request(String why) {
        reason.compareAndSet(null, why == null ? "stop requested" : why);
    }

    /** Why a stop was requested, if it was. */
    public Optional<String> requested() {
        return Optional.ofNullable(reason.get());
    }

    /** Throws {@link RunStoppedException} if a stop was requested; {@code where} says what was just finished. */
    public void check(String where) {
        String why = reason.get();
        if (why != null) {
            throw new RunStoppedException(why, where);
        }
    }
}
