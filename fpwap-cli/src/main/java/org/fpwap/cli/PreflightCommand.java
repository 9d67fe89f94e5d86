package org.fpwap.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.fpwap.sweep.Plan;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code fpwap preflight}: the checks {@code extract} runs first, and the plan, without running it. */
@Command(name = "preflight", mixinStandardHelpOptions = true,
        description = "Check a run (model files, prompts, device memory, disk) and print its plan and time estimate; "
                + "exit 0 when feasible.")
final class PreflightCommand implements Callable<Integer> {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Mixin
    RunOptions options;

    @CommandLine.ParentCommand
    private Fpwap parent;

    @Override
    public Integer call() {
        Plan plan = options.job(parent.modelLocator()).preflight();
        PrintWriter o = spec.commandLine().getOut();
        if (!options.quiet || !plan.feasible()) {
            (plan.feasible() ? o : spec.commandLine().getErr()).print(plan.summary());
        }
        o.flush();
        spec.commandLine().getErr().flush();
        return plan.feasible() ? 0 : ErrorReporter.BAD_INPUT;
    }
}
