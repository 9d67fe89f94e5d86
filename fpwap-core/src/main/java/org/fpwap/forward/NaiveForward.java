package org.fpwap.forward;

import static java.util.Objects.requireNonNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Optional;
import org.fpwap.model.ModelSpec;
import org.fpwap.weights.LayerWeights;
import org.fpwap.weights.NormWeights;

/**
 * The conventional schedule: every layer, one microbatch at a time, with all needed layers' weights
 * already loaded. It is the reference the layer-streaming schedule must equal bit for bit on the same
 * microbatches, and the simplest way to run a model that fits in memory.
 */
public final class NaiveForward {

    private final ModelSpec spec;
    private final Embedder embedder;
    private final List<LayerWeights> layers;
    private final Optional<NormWeights> finalNorm;
    private final BlockForward block;

    /**
     * @param layers weights of blocks {@code 0..layers.size()-1}, in order (owned by the caller)
     * @param finalNorm the final norm, applied to the last model layer's {@code residual_post} when present
     */
    public NaiveForward(ModelSpec spec, Embedder embedder, List<LayerWeights> layers, Optional<NormWeights> finalNorm) {
        this.spec = requireNonNull(spec, "spec is null");
        this.embedder = requireNonNull(embedder, "embedder is null");
        this.layers = List.copyOf(layers);
        this.finalNorm = requireNonNull(finalNorm, "finalNorm is null");
        this.block = new BlockForward(spec);
        for (int i = 0; i < this.layers.size(); i++) {
            if (this.layers.get(i).layer() != i) {
                throw new IllegalArgumentException("weights at index " + i + " are for layer " + this.layers.get(i).layer());
            }
        }
    }

    /**
     * Runs every loaded layer on {@code mb}, reporting each hook to {@code hooks}. When a final norm is
     * configured and the last model layer ran, the {@code residual_post} the hooks see there is normalised,
     * as HF's last {@code hidden_states} entry is. Intermediates are freed before returning.
     */
    public void run(Microbatch mb, NDManager manager, HookHandler hooks) {
        try (NDManager scope = manager.newSubManager()) {
            ForwardContext ctx = ForwardContext.create(spec, mb, scope);
            NDArray hidden = embedder.embed(mb, scope);
            HookHandler handler = finalNorm.map(norm -> FinalNorm.around(spec, norm, hooks)).orElse(hooks);
            for (LayerWeights w : layers) {
                NDArray next = block.forward(w, hidden, ctx, handler);
                hidden.close();
                hidden = next;
            }
        }
    }
}
