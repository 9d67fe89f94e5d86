package org.fpwap.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import org.fpwap.run.StopToken;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Turns Ctrl-C (SIGINT) and SIGTERM into a stop request at the sweep's next safe point, instead of the JVM's
 * immediate exit, so the output directory is left resumable. A second signal ends the process at once (exit
 * 130/143). The previous handlers come back on {@link #close()}. Where the JVM does not let us handle a signal
 * (e.g. {@code -Xrs}), it keeps its default behaviour.
 */
final class SignalStop implements AutoCloseable {

    private final Map<Signal, SignalHandler> previous = new LinkedHashMap<>();

    private SignalStop() {}

    /** Installs the handlers, which request a stop on {@code token} with the signal's name (e.g. {@code SIGINT}). */
    static SignalStop install(StopToken token) {
        SignalStop installed = new SignalStop();
        for (String name : new String[] {"INT", "TERM"}) {
            Signal signal = new Signal(name);
            try {
                installed.previous.put(signal, Signal.handle(signal, s -> {
                    if (token.requested().isPresent()) {
                        Runtime.getRuntime().halt(128 + s.getNumber());
                    }
                    token.request("SIG" + s.getName());
                }));
            } catch (IllegalArgumentException | UnsupportedOperationException unavailable) {
                // This signal is reserved here: the JVM's default (exit) stays.
            }
        }
        return installed;
    }

    /** The conventional exit status after a stop requested by {@code reason}: 130 for SIGINT, 143 for SIGTERM. */
    static int exitStatus(String reason) {
        return switch (reason) {
            case "SIGINT" -> 130;
            case "SIGTERM" -> 143;
            default -> 1;
        };
    }

    /** Restores the handlers that were there before. */
    @Override
    public void close() {
        previous.forEach(Signal::handle);
    }
}
