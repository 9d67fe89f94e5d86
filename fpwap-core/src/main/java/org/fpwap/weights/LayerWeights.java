package org.fpwap.weights;

import static java.util.Objects.requireNonNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.lang.foreign.Arena;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import org.fpwap.model.LayerTensor;

/**
 * One transformer block's weights as FP32 tensors on the compute device. Owns the NDManager the
 * tensors live in and, when the weights were widened or copied, the off-heap memory behind them;
 * {@link #close()} frees both, tensors first (an NDArray must never outlive the memory it wraps).
 */
public final class LayerWeights implements AutoCloseable {

    private final int layer;
    private final Map<LayerTensor, NDArray> tensors;
    private final NDManager manager;
    private final Arena backing;
    private final long bytesRead;
    private boolean closed;

    LayerWeights(int layer, Map<LayerTensor, NDArray> tensors, NDManager manager, Arena backing, long bytesRead) {
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
                backing.close();
            }
        }
    }
}
