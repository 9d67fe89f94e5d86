package org.fpwap.oracle;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An independent FP64 forward that reports every hook of every layer for one prompt:
 * {@code [layer][hook][T][H]} with hooks in the order residual_pre, attn_out, mlp_out, residual_post
 * (attn_out/mlp_out are what the sub-layer adds to the residual stream, after any post-norm).
 */
public interface HookReference {

    /** Index of each hook in the second dimension of {@link #hooks}. */
    int RESIDUAL_PRE = 0;
    int ATTN_OUT = 1;
    int MLP_OUT = 2;
    int RESIDUAL_POST = 3;

    /** Every hook of every layer for {@code ids} run alone (no batching, no padding). */
    double[][][][] hooks(int[] ids);

    /** The reference for the model in {@code dir}, chosen by its {@code model_type}. */
    static HookReference load(Path dir) throws IOException {
        JsonObject c = new Gson().fromJson(Files.readString(dir.resolve("config.json")), JsonObject.class);
        String type = c.get("model_type").getAsString();
        var weights = SafetensorsF32.readModelDir(dir);
        return switch (type) {
            case "llama", "qwen3", "olmo2" -> new DenseDecoderReference(c, weights);
            case "phi3" -> new Phi3Reference(c, weights);
            case "gemma2", "gemma3_text" -> new GemmaReference(c, weights);
            case "mixtral", "qwen2_moe" -> new MoeDecoderReference(c, weights);
            case "deepseek_v2" -> new DeepseekV2Reference(c, weights);
            default -> throw new UnsupportedOperationException("no hook reference for model_type " + type);
        };
    }
}
