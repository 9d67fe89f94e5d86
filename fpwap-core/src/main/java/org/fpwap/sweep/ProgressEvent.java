package org.fpwap.sweep;

import org.fpwap.profile.Profile;

/** What a {@link ProgressListener} hears while a sweep runs. */
public sealed interface ProgressEvent {

    /**
     * The sweep is about to start.
     *
     * @param layers layers that will run
     * @param microbatches microbatches per layer
     * @param tokens real tokens per layer
     */
    record RunStarted(int layers, int microbatches, long tokens) implements ProgressEvent {}

    /** Layer {@code layer} starts (its weights are ready). */
    record LayerStarted(int layer) implements ProgressEvent {}

    /**
     * One microbatch of {@code layer} is done.
     *
     * @param index the microbatch's index in the layer
     * @param tokens its real tokens
     */
    record MicrobatchDone(int layer, int index, long tokens) implements ProgressEvent {}

    /** Layer {@code layer} is done after {@code seconds}. */
    record LayerFinished(int layer, double seconds) implements ProgressEvent {}

    /** The sweep finished. */
    record RunFinished(Profile profile) implements ProgressEvent {}
}
