package org.fpwap.sweep;

/** Receives {@link ProgressEvent}s on the sweep's compute thread; keep it quick. */
@FunctionalInterface
public interface ProgressListener {

    /** Ignores every event. */
    ProgressListener NONE = event -> {};

    /** Called for each event. */
    void on(ProgressEvent event);
}
