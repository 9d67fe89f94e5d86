package org.fpwap.cli;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import org.fpwap.buffer.ResidualBufferException;
import org.fpwap.dataset.DatasetException;
import org.fpwap.device.DeviceUnavailableException;
import org.fpwap.hub.ModelNotFoundException;
import org.fpwap.model.ModelConfigException;
import org.fpwap.run.RunDirectoryException;
import org.fpwap.safetensors.SafetensorsException;
import org.fpwap.sweep.CallbackException;
import org.fpwap.sweep.PlanException;
import org.fpwap.weights.WeightFormatException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Turns an exception into one clear line on stderr and a non-zero exit. Bad input (a known error type)
 * prints its message only; anything else is a bug in fpwap and says how to get the stack trace.
 * {@code --debug} always prints the stack trace.
 */
final class ErrorReporter implements IExecutionExceptionHandler {

    /** Exit status for bad input: a model, prompt file, option or device we cannot use. */
    static final int BAD_INPUT = 1;
    /** Exit status for an internal error. */
    static final int INTERNAL = 70;

    private final boolean debug;

    ErrorReporter(boolean debug) {
        this.debug = debug;
    }

    @Override
    public int handleExecutionException(Exception e, CommandLine cli, ParseResult parseResult) {
        PrintWriter err = cli.getErr();
        boolean badInput = isBadInput(e);
        err.println("fpwap " + cli.getCommandName() + ": " + (badInput ? e.getMessage() : "internal error: " + e));
        if (debug) {
            e.printStackTrace(err);
        } else if (!badInput) {
            err.println("(run again with --debug for the stack trace, and please report it)");
        }
        err.flush();
        return badInput ? BAD_INPUT : INTERNAL;
    }

    private static boolean isBadInput(Exception e) {
        return e instanceof DatasetException
                || e instanceof ModelConfigException
                || e instanceof WeightFormatException
                || e instanceof SafetensorsException
                || e instanceof DeviceUnavailableException
                || e instanceof ModelNotFoundException
                || e instanceof PlanException
                || e instanceof CallbackException
                || e instanceof RunDirectoryException
                || e instanceof ResidualBufferException
                || e instanceof IllegalArgumentException
                || e instanceof UncheckedIOException;
    }
}
