package org.fpwap.callback;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.fpwap.forward.Hook;

/**
 * A user's view into the sweep: called for every microbatch at the (layer, hook) pairs it selects.
 * Implementations are called from the sweep's compute thread only, one call at a time.
 *
 * <p>A {@link Phase#WRITE} callback must be a deterministic function of the batch it sees (the
 * sweep's {@code verify} mode calls it again on the naive schedule); a {@link Phase#READ} callback may
 * keep any state, which it turns into {@link Artifact}s at {@link #onLayerEnd} and {@link #onSweepEnd}.
 */
public interface Callback {

    /** The layers to be called at. */
    LayerSelection layers();

    /** The hooks to be called at, within each selected layer. */
    Set<Hook> hooks();

    /** READ (observe, emit) or WRITE (may also replace the activation). */
    default Phase phase() {
        return Phase.READ;
    }

    /** A READ callback that sees the activation after this hook's write-backs instead of before. */
    default boolean readsAfterWrites() {
        return false;
    }

    /**
     * Whether {@link #onBatch} is a pure function of the batch (no state, no side effects). The sweep's
     * verify mode calls stateless READ callbacks again on the naive schedule and compares their emits bit
     * for bit; stateful ones are not re-run (their state would count every sample twice).
     */
    default boolean stateless() {
        return false;
    }

    /** A short name for messages, output files and {@code Result} look-ups; unique within a sweep. */
    default String name() {
        return getClass().getSimpleName();
    }

    /**
     * The callback's checkpointable state, or empty if it cannot be checkpointed: a run with such a callback
     * cannot be resumed (the sweep refuses, naming it). The default: {@link CallbackState#none()} for a
     * {@link #stateless()} callback, empty otherwise.
     */
    default Optional<CallbackState> state() {
        return stateless() ? Optional.of(CallbackState.none()) : Optional.empty();
    }

    /**
     * The settings that change this callback's outputs beyond its class, name, layers, hooks and phase (e.g.
     * a PCA's component count), as one line. A resumed run refuses when they differ from the journal's.
     */
    default String settings() {
        return "";
    }

    /** Called once before the first batch (also when a run resumes, before its saved state is restored). */
    default void onSweepStart(SweepInfo info) {}

    /** Called for each microbatch at each selected (layer, hook). */
    CallbackAction onBatch(Batch batch);

    /** Called after the last microbatch of {@code layer}; returns the artifacts that layer produced. */
    default List<Artifact> onLayerEnd(int layer) {
        return List.of();
    }

    /** Called after the last layer; returns sweep-level artifacts. */
    default List<Artifact> onSweepEnd() {
        return List.of();
    }
}
