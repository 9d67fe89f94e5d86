package org.fpwap.callback;

import static java.util.Objects.requireNonNull;

import ai.djl.ndarray.NDArray;

/** What a callback returns for one microbatch: nothing, an {@link Emit}, or a {@link WriteBack}. */
public sealed interface CallbackAction permits CallbackAction.Nothing, CallbackAction.Emit, CallbackAction.WriteBack {

    /** Nothing to persist or replace. */
    static CallbackAction nothing() {
        return Nothing.INSTANCE;
    }

    /** Nothing to persist or replace (the callback only updated its own state). */
    enum Nothing implements CallbackAction {
        INSTANCE
    }

    /**
     * Values to persist for each sample of the microbatch, stored by the sweep in dataset order and
     * returned by {@code Result.activations(layer, hook)}.
     *
     * @param values {@code [B, W]} (one vector per sample) or {@code [B, T, W]} (one per token; pad
     *     positions are dropped)
     * @param perToken whether {@code values} has a token axis
     * @param store how the values are stored on disk ({@link Store#F32} unless {@link #stored(Store)} says otherwise)
     */
    record Emit(NDArray values, boolean perToken, Store store) implements CallbackAction {
        public Emit {
            requireNonNull(values, "values is null");
            requireNonNull(store, "store is null");
            int rank = values.getShape().dimension();
            if (rank != (perToken ? 3 : 2)) {
                throw new IllegalArgumentException((perToken ? "a per-token emit must be [B, T, W]" : "a per-sample emit must be [B, W]")
                        + ", got shape " + values.getShape());
            }
        }

        /** Values stored as exact FP32. */
        public Emit(NDArray values, boolean perToken) {
            this(values, perToken, Store.F32);
        }

        /** The same values, stored as {@code s} (int8 quantization runs on the values' device). */
        public Emit stored(Store s) {
            return new Emit(values, perToken, s);
        }

        /** One vector per sample, {@code [B, W]}. */
        public static Emit perSample(NDArray values) {
            return new Emit(values, false);
        }

        /** One vector per real token, {@code [B, T, W]}; pad positions are never stored. */
        public static Emit perToken(NDArray values) {
            return new Emit(values, true);
        }
    }

    /**
     * A replacement for the activation at the hook ({@link Phase#WRITE} callbacks only): the rest of the
     * forward uses it. It must have the activation's shape {@code [B, T, H]} and be finite at real tokens.
     * Pad positions may hold anything; if one is NaN or infinite, the sweep keeps its own pad values there
     * (attention would otherwise turn a pad's NaN into NaN at every real token of the row).
     *
     * @param activations the new activation
     */
    record WriteBack(NDArray activations) implements CallbackAction {
        public WriteBack {
            requireNonNull(activations, "activations is null");
        }
    }
}
