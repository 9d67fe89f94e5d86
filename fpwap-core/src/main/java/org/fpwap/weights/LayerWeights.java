package org.fpwap.weights;

import static java.util.Objects.requireNonNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import org.fpwap.model.LayerTensor;

/**
 * One transformer block's weights as FP32 tensors on the compute device. Owns the NDManager the
 * tensors live in and the off-heap memory behind them (its own Arena, or a prefetch staging slot that
 * it hands back); {@link #close()} frees both, tensors first (an NDArray must never outlive the memory
 * it wraps).
 */
public final class LayerWeights implements AutoCloseable {

    private final int layer;
    private final Map<LayerTensor, NDArray> tensors;
    private final NDManager manager;
    private final AutoCloseable backing;
    private final long bytesRead;
    private boolean closed;

    /**
     * @param backing what frees the memory behind the tensors (an Arena, or a staging slot's release),
     *     closed after the tensors; may be null when the tensors wrap memory owned elsewhere
     */
    LayerWeights(int layer, Map<LayerTensor, NDArray> tensors, NDManager manager, AutoCloseable backing, long bytesRead) {
        this.layer = layer;
        this.tensors = Collections.unmodifiableMap(new EnumMap<>(tensors));
        this.manager = requireNonNull(manager, "manager is null");
        this.backing = backing;
        this.bytesRead = bytesRead;
    }

    /** The block index. */
    public int layer() {
        return layer;
    }

    /** The tensor playing {@code role}; fails naming the layer if the family has no such tensor. */
    public NDArray get(LayerTensor role) {
        NDArray t = tensors.get(role);
        if (t == null) {
            throw new IllegalStateException("layer " + layer + " has no " + role + " tensor");
        }
        return t;
    }

    /** The tensor playing {@code role}, if the family has one (biases are optional). */
    public Optional<NDArray> find(LayerTensor role) {
        return Optional.ofNullable(tensors.get(role));
    }

    /** Bytes read from the checkpoint files to build these weights. */
    public long bytesRead() {
        return bytesRead;
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
            if (backing != null) {
                try {
                    backing.close();
                } catch (Exception e) {
                    throw new IllegalStateException("cannot release layer " + layer + "'s weight memory", e);
                }
            }
        }
    }
}
