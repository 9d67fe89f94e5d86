package org.fpwap.sweep;

import org.fpwap.model.TensorRef;
import org.fpwap.safetensors.Checkpoint;
import org.fpwap.weights.WeightLoader;

/** Checkpoint bytes behind weights the sweep stages outside the per-layer prefetch, for the profile. */
final class WeightBytes {

    private WeightBytes() {}

    /** Bytes of the final norm's tensors (weight, and bias for LayerNorm) as stored in the checkpoint. */
    static long finalNorm(Checkpoint checkpoint, WeightLoader loader) {
        long bytes = 0;
        for (TensorRef ref : loader.names().finalNorm().values()) {
            bytes += checkpoint.info(ref.name()).byteLength();
        }
        return bytes;
    }
}
