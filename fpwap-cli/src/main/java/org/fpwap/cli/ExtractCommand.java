package org.fpwap.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

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

    @Override
    public Integer call() {
        PrintWriter o = spec.commandLine().getOut();
        ExtractJob.Outcome outcome = options.job(parent.modelLocator()).run(options.quiet ? null : o);
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
}
