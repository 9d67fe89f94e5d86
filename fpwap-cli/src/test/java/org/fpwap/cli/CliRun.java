package org.fpwap.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.fpwap.hub.HubEnvironment;

/**
 * The outcome of one in-process {@code fpwap} invocation.
 *
 * @param exitCode the exit status
 * @param out what it printed on stdout
 * @param err what it printed on stderr
 */
record CliRun(int exitCode, String out, String err) {

    /** Runs {@code fpwap args...} in this JVM, capturing both streams. */
    static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Fpwap.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new CliRun(code, out.toString(), err.toString());
    }

    /** Runs {@code fpwap args...} in this JVM with Hugging Face ids looked up through {@code hub}. */
    static CliRun withHub(HubEnvironment hub, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Fpwap.execute(args, new PrintWriter(out, true), new PrintWriter(err, true), hub);
        return new CliRun(code, out.toString(), err.toString());
    }

    @Override
    public String toString() {
        return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
}
