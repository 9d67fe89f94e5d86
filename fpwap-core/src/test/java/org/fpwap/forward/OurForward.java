package org.fpwap.forward;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import org.fpwap.device.Devices;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fpwap.model.ModelConfigReader;
import org.fpwap.model.ModelSpec;
import org.fpwap.safetensors.Checkpoint;
import org.fpwap.weights.LayerWeights;
import org.fpwap.weights.NormWeights;
import org.fpwap.weights.WeightLoader;

/**
 * Test harness: runs fpwap's forward over prompts batched together in one padded microbatch and
 * returns every sample's hidden states {@code [sample][L+1][T_sample][H]} (embeddings, then each
 * block's {@code residual_post}; no final norm unless asked), pads stripped.
 */
public final class OurForward {

    private OurForward() {}

    /** Hidden states of each prompt, all prompts in one microbatch padded on {@code side}. */
    public static float[][][][] hiddenStates(Path modelDir, List<int[]> prompts, PaddingSide side) {
        return run(modelDir, prompts, side, false, Long.MAX_VALUE);
    }

    /**
     * As {@link #hiddenStates}, optionally applying the final norm to the last layer and with an explicit
     * attention score budget (small budgets force query chunking).
     */
    public static float[][][][] run(Path modelDir, List<int[]> prompts, PaddingSide side, boolean finalNorm,
            long scoreBudgetBytes) {
        ModelSpec spec = ModelConfigReader.read(modelDir);
        Devices.prepareComputeThread();
        long[] ids = new long[prompts.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i;
        }
        Microbatch mb = new Microbatch(ids, prompts, side);
        float[][][][] out = new float[prompts.size()][spec.numLayers() + 1][][];
        List<LayerWeights> layers = new ArrayList<>();
        try (Checkpoint ckpt = Checkpoint.open(modelDir);
                NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            WeightLoader loader = new WeightLoader(ckpt, spec);
            try (NormWeights norm = finalNorm ? loader.loadFinalNorm(manager) : null) {
                for (int l = 0; l < spec.numLayers(); l++) {
                    layers.add(loader.loadLayer(l, manager));
                }
                Embedder embedder = new Embedder(spec, loader.tokenEmbedding(), loader.positionEmbedding());
                BlockForward block = new BlockForward(spec, scoreBudgetBytes);
                try (NDManager scope = manager.newSubManager()) {
                    ForwardContext ctx = ForwardContext.create(spec, mb, scope);
                    var hidden = embedder.embed(mb, scope);
                    unpack(mb, hidden.toFloatArray(), spec.hiddenSize(), out, 0);
                    for (LayerWeights w : layers) {
                        hidden = block.forward(w, hidden, ctx, HookHandler.NONE);
                        var observed = hidden;
                        if (norm != null && w.layer() == spec.numLayers() - 1) {
                            observed = FinalNorm.apply(spec, norm, hidden);
                        }
                        unpack(mb, observed.toFloatArray(), spec.hiddenSize(), out, w.layer() + 1);
                    }
                }
            } finally {
                layers.forEach(LayerWeights::close);
            }
        }
        return out;
    }

    private static void unpack(Microbatch mb, float[] flat, int h, float[][][][] out, int slot) {
        for (int b = 0; b < mb.size(); b++) {
            float[][] tokens = new float[mb.length(b)][h];
            for (int t = 0; t < mb.length(b); t++) {
                System.arraycopy(flat, ((b * mb.width()) + mb.offset(b) + t) * h, tokens[t], 0, h);
            }
            out[b][slot] = tokens;
        }
    }

    /** Relative Frobenius error {@code ‖a − b‖ / ‖b‖} of one sample's {@code [T][H]} states. */
    public static double relativeError(float[][] actual, float[][] expected) {
        double num = 0;
        double den = 0;
        for (int t = 0; t < expected.length; t++) {
            for (int h = 0; h < expected[t].length; h++) {
                double d = (double) actual[t][h] - expected[t][h];
                num += d * d;
                den += (double) expected[t][h] * expected[t][h];
            }
        }
        return Math.sqrt(num / den);
    }
}
