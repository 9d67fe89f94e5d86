package org.fpwap.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import org.fpwap.hub.HubEnvironment;
import org.fpwap.hub.ModelLocator;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code fpwap} command: layer-streaming activation extraction for transformer models. */
@Command(name = "fpwap",
        mixinStandardHelpOptions = true,
        version = "fpwap 0.1.0-SNAPSHOT",
        description = "Extract activations from transformer models whose weights do not fit in device memory.",
        subcommands = {ExtractCommand.class, PreflightCommand.class, InspectCommand.class, MakeModelCommand.class,
                DemoCommand.class, CommandLine.HelpCommand.class})
public final class Fpwap implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    /** Where {@code --model ORG/NAME} is looked up: the process environment, or a test's. */
    private final HubEnvironment hub;

    private Fpwap(HubEnvironment hub) {
        this.hub = hub;
    }

    /** Finds models given by directory or Hugging Face id, for the subcommands. */
    ModelLocator modelLocator() {
        return new ModelLocator(hub);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Runs the command line and exits with its status. */
    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given streams and returns the exit status (for tests). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        return execute(args, out, err, HubEnvironment.system());
    }

    /** Runs the command line with Hugging Face ids looked up through {@code hub} (for tests: a fake cache). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err, HubEnvironment hub) {
        boolean debug = Arrays.asList(args).contains("--debug");
        CommandLine cli = new CommandLine(new Fpwap(hub));
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler(new ErrorReporter(debug));
        return cli.execute(args);
    }
}
