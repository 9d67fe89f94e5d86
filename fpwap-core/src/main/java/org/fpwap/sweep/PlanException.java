package org.fpwap.sweep;

import static java.util.Objects.requireNonNull;

/** A sweep refused to run because its preflight found blockers; the message lists each one. */
public final class PlanException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Plan plan;

    /** Creates the exception for an infeasible {@code plan}. */
    public PlanException(Plan plan) {
        super("the sweep cannot run: " + String.join("; ", requireNonNull(plan, "plan is null").blockers()));
        this.plan = plan;
    }

    /** The plan and its blockers. */
    public Plan plan() {
        return plan;
    }
}
