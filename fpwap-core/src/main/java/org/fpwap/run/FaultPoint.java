package org.fpwap.run;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Named points in a run where a crash test can stop the process: when the system property
 * {@code fpwap.faultPoint} names the point reached, its name is appended to the file named by
 * {@code fpwap.faultMarker} and the thread pauses for {@code fpwap.faultPauseMs} milliseconds (default:
 * for good), so the test can {@code kill -9} (or signal) the process exactly there. Without the property
 * a point costs one property look-up. Points: {@code embed}, {@code layer-L-microbatch-M},
 * {@code layer-L-emits-committed} (before the journal records layer L), {@code layer-L-committed},
 * {@code export}, {@code manifest}.
 */
public final class FaultPoint {

    private FaultPoint() {}

    /** Marks {@code name} as reached; pauses here if a test asked for it. */
    public static void reach(String name) {
        String wanted = System.getProperty("fpwap.faultPoint");
        if (wanted == null || !wanted.equals(name)) {
            return;
        }
        String marker = System.getProperty("fpwap.faultMarker");
        if (marker != null) {
            try {
                Files.writeString(Path.of(marker), name + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new IllegalStateException("cannot write the fault marker " + marker + ": " + e.getMessage(), e);
            }
        }
        long pause = Long.getLong("fpwap.faultPauseMs", Long.MAX_VALUE);
        try {
            Thread.sleep(pause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
