package org.fpwap.forward;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fpwap.device.Devices;
import org.fpwap.model.ModelConfigReader;
import org.fpwap.model.ModelSpec;
import org.fpwap.safetensors.Checkpoint;
import org.fpwap.weights.LayerWeights;
import org.fpwap.weights.WeightLoader;

/**
 * Test harness: runs fpwap's forward over prompts batched into one padded microbatch and records every
 * hook of every layer per sample, pads stripped: {@code [sample][layer][hook][T][H]} with hooks in
 * {@link Hook} order (residual_pre, attn_out, mlp_out, residual_post), no final norm.
 */
public final class HookCapture {

    private HookCapture() {}

    /** Every hook of every layer for each prompt, all prompts in one microbatch padded on {@code side}. */
    public static float[][][][][] run(Path modelDir, List<int[]> prompts, PaddingSide side) {
        ModelSpec spec = ModelConfigReader.read(modelDir);
        Devices.prepareComputeThread();
        long[] ids = new long[prompts.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i;
        }
        Microbatch mb = new Microbatch(ids, prompts, side);
        int hooks = Hook.values().length;
        float[][][][][] out = new float[prompts.size()][spec.numLayers()][hooks][][];
        List<LayerWeights> layers = new ArrayList<>();
        try (Checkpoint ckpt = Checkpoint.open(modelDir);
                NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            WeightLoader loader = new WeightLoader(ckpt, spec);
            try {
                for (int l = 0; l < spec.numLayers(); l++) {
                    layers.add(loader.loadLayer(l, manager));
                }
                Embedder embedder = new Embedder(spec, loader.tokenEmbedding(), loader.positionEmbedding());
                BlockForward block = new BlockForward(spec);
                HookHandler recorder = (layer, hook, activation) -> {
                    unpack(mb, activation.toFloatArray(), spec.hiddenSize(), out, layer, hook.ordinal());
                    return activation;
                };
                try (NDManager scope = manager.newSubManager()) {
                    ForwardContext ctx = ForwardContext.create(spec, mb, scope);
                    var hidden = embedder.embed(mb, scope);
                    for (LayerWeights w : layers) {
                        hidden = block.forward(w, hidden, ctx, recorder);
                    }
                }
            } finally {
                layers.forEach(LayerWeights::close);
            }
        }
        return out;
    }

    private static void unpack(Microbatch mb, float[] flat, int h, float[][][][][] out, int layer, int hook) {
        for (int b = 0; b < mb.size(); b++) {
            float[][] tokens = new float[mb.length(b)][h];
            for (int t = 0; t < mb.length(b); t++) {
                System.arraycopy(flat, ((b * mb.width()) + mb.offset(b) + t) * h, tokens[t], 0, h);
            }
            out[b][layer][hook] = tokens;
        }
    }
}
