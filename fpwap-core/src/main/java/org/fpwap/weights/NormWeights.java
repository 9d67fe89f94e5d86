package org.fpwap.weights;

import static java.util.Objects.requireNonNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.lang.foreign.Arena;
import java.util.Optional;

/** A standalone norm's FP32 weight and optional bias (the final norm), owning their memory. */
public final class NormWeights implements AutoCloseable {

    private final NDArray weight;
    private final Optional<NDArray> bias;
    private final NDManager manager;
    private final Arena backing;
    private boolean closed;

    NormWeights(NDArray weight, Optional<NDArray> bias, NDManager manager, Arena backing) {
        this.weight = requireNonNull(weight, "weight is null");
        this.bias = requireNonNull(bias, "bias is null");
        this.manager = requireNonNull(manager, "manager is null");
        this.backing = requireNonNull(backing, "backing is null");
    }

    /** The scale ({@code 1 + w} already applied for Gemma). */
    public NDArray weight() {
        return weight;
    }

    /** The LayerNorm bias, if any. */
    public Optional<NDArray> bias() {
        return bias;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            manager.close();
        } finally {
            backing.close();
        }
    }
}
