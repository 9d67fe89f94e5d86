package org.fpwap.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.fpwap.run.RunStoppedException;
import org.fpwap.run.StopToken;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code fpwap extract}: the main job. Its options and output layout are a public contract. */
@Command(name = "extract", mixinStandardHelpOptions = true,
        description = "Run prompts through a model and write per-layer activations.")
final class ExtractCommand implements Callable<Integer> {

    /** Exit status when --verify finds a difference. */
    static final int VERIFY_FAILED = 3;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Mixin
    RunOptions options;

    @CommandLine.ParentCommand
    private Fpwap parent;

    @Option(names = "--resume", description = "Continue the interrupted run in --out from its last completed layer "
            + "(same inputs and options; the outputs are bit-identical to an uninterrupted run).")
    boolean resume;

    @Option(names = "--overwrite", description = "Replace the contents of a non-empty --out.")
    boolean overwrite;

    @Override
    public Integer call() {
        PrintWriter o = spec.commandLine().getOut();
        StopToken stop = new StopToken();
        ExtractJob.Outcome outcome;
        try (SignalStop signals = SignalStop.install(stop)) {
            outcome = options.job(parent.modelLocator()).run(options.quiet ? null : o, ExistingOutput.of(resume, overwrite), stop);
        } catch (RunStoppedException e) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("fpwap extract: " + e.getMessage() + "; " + options.out + " is resumable. Continue with:");
            err.println("  " + resumeCommand());
            err.flush();
            return SignalStop.exitStatus(e.reason());
        }
        if (!options.quiet) {
            outcome.summary().forEach(o::println);
            outcome.files().forEach(p -> o.println("  " + p));
            o.flush();
        }
        if (outcome.verification().isPresent() && !outcome.verification().get().identical()) {
            spec.commandLine().getErr().println("fpwap extract: " + outcome.verification().get().summary());
            spec.commandLine().getErr().flush();
            return VERIFY_FAILED;
        }
        return 0;
    }

    /** This command line with {@code --resume} instead of {@code --overwrite}, quoted for a POSIX shell. */
    private String resumeCommand() {
        List<String> args = new ArrayList<>(spec.commandLine().getParseResult().originalArgs());
        args.removeIf(a -> a.equals("--overwrite") || a.equals("--resume"));
        if (!args.isEmpty() && args.getFirst().equals("extract")) {
            args.removeFirst();
        }
        args.add("--resume");
        StringBuilder line = new StringBuilder("fpwap extract");
        for (String a : args) {
            line.append(' ').append(a.matches("[A-Za-z0-9_./=:,@+-]+") ? a : "'" + a.replace("'", "'\\''") + "'");
        }
        return line.toString();
    }
}
