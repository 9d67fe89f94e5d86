package org.fpwap.callback;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * A callback's accumulated state as bytes. The sweep {@link #write writes} it at every layer end it
 * commits to its journal and {@link #restore restores} it when a run is resumed; a data-parallel driver
 * (one sweep per shard of the dataset) {@link #merge merges} the states its shards wrote into one, then
 * lets the callback finish as if it had seen every shard.
 *
 * <p>The bytes are the callback's own business (the sweep stores them opaquely), but they must be a
 * complete description: {@code restore(write(s))} gives back {@code s} exactly, so a resumed run produces
 * the same bits as an uninterrupted one. {@link #restore} is called after {@link Callback#onSweepStart},
 * which has reset the callback.
 */
public interface CallbackState {

    /** Writes the current state. */
    void write(DataOutput out) throws IOException;

    /** Replaces the current state by one {@link #write} wrote (fails on bytes it cannot read). */
    void restore(DataInput in) throws IOException;

    /** Whether {@link #merge} is implemented. */
    default boolean mergeable() {
        return false;
    }

    /**
     * Folds a state {@link #write} wrote over a disjoint part of the dataset into the current state, so
     * that the result describes both parts.
     *
     * @throws UnsupportedOperationException unless {@link #mergeable()}
     */
    default void merge(DataInput in) throws IOException {
        throw new UnsupportedOperationException(getClass().getName() + " cannot merge states");
    }

    /** The state of a callback that keeps none: writes nothing, restores nothing, merges trivially. */
    static CallbackState none() {
        return Stateless.INSTANCE;
    }

    /** The one stateless state. */
    enum Stateless implements CallbackState {
        INSTANCE;

        @Override
        public void write(DataOutput out) {}

        @Override
        public void restore(DataInput in) {}

        @Override
        public boolean mergeable() {
            return true;
        }

        @Override
        public void merge(DataInput in) {}
    }
}
