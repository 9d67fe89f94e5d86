package org.fpwap.sweep;

import java.util.List;

/**
 * What a sweep will do and whether it can: checked from headers and a scan of the dataset, before any
 * device contact.
 *
 * @param blockers problems that stop the run, each saying what to change
 * @param warnings things worth knowing that do not stop it
 * @param samples prompts
 * @param tokens real tokens
 * @param microbatches microbatches per layer
 * @param layers layers that will run (0 through the deepest any callback needs)
 * @param weightBytes checkpoint bytes those layers read, once each
 * @param residualBytes size of the on-disk residual buffer
 */
public record Plan(List<String> blockers, List<String> warnings, int samples, long tokens, int microbatches, int layers,
        long weightBytes, long residualBytes) {

    public Plan {
        blockers = List.copyOf(blockers);
        warnings = List.copyOf(warnings);
    }

    /** Whether nothing blocks the run. */
    public boolean feasible() {
        return blockers.isEmpty();
    }

    /** A readable account of the plan. */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        sb.append(feasible() ? "feasible" : "NOT feasible").append(": ").append(samples).append(" prompts, ")
                .append(tokens).append(" tokens in ").append(microbatches).append(" microbatches; ")
                .append(layers).append(" layers; weights read once: ").append(weightBytes).append(" B; residual buffer: ")
                .append(residualBytes).append(" B\n");
        blockers.forEach(b -> sb.append("  blocker: ").append(b).append('\n'));
        warnings.forEach(w -> sb.append("  warning: ").append(w).append('\n'));
        return sb.toString();
    }
}
