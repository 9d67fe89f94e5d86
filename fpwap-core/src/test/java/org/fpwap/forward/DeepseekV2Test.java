package org.fpwap.forward;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.safetensors.DType;
import org.fpwap.safetensors.SafetensorsFile;
import org.fpwap.safetensors.SafetensorsWriter;
import org.fpwap.safetensors.TensorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DeepSeek-V2 (multi-head latent attention with and without the query bottleneck, interleaved RoPE on the rope part,
 * yarn with its attention factor, dense then MoE layers with group-limited or greedy top-k, routed scaling and shared
 * experts) against the independent FP64 {@link org.fpwap.oracle.DeepseekV2Reference}: every hook, batched, both
 * padding sides, F32 and BF16; and latent attention built to equal a standard (MQA) attention does.
 */
class DeepseekV2Test {

    private static final double TOLERANCE = 1e-5;

    @TempDir
    Path tmp;

    private static RandomModelConfig.Builder shape() {
        return RandomModelConfig.builder(ModelFamily.DEEPSEEK_V2).layers(3).dims(48, 4, 4, 16).intermediate(80).vocab(96)
                .seed(43);
    }

    private static List<int[]> prompts() {
        return Comparisons.prompts(96, 83, 1, 6, 19, 33);
    }

    @Test
    void everyHookOfEveryLayerMatchesTheFp64ReferenceWithF32Weights() {
        Path dir = tmp.resolve("deepseek");
        RandomModelWriter.write(shape().build(), dir);
        double max = FamilyChecks.assertHooksMatchReference(dir, dir, prompts(), TOLERANCE, "deepseek_v2 F32");
        System.out.println("deepseek_v2 F32 vs FP64 reference, all hooks: max rel err " + max);
    }

    @Test
    void everyHookMatchesTheReferenceWithBf16Weights() {
        Path bf16 = tmp.resolve("deepseek-bf16");
        RandomModelWriter.write(shape().dtype(DType.BF16).build(), bf16);
        Path widened = CheckpointCopies.rewrite(bf16, tmp.resolve("deepseek-widened"), CheckpointCopies::widenToF32);
        double max = FamilyChecks.assertHooksMatchReference(bf16, widened, prompts(), TOLERANCE, "deepseek_v2 BF16");
        System.out.println("deepseek_v2 BF16 vs FP64 reference on its widening: max rel err " + max);
    }

    @Test
    void withoutTheQueryBottleneckWithGreedyRoutingAndPlainRopeItMatchesTheReference() {
        Path dir = tmp.resolve("deepseek-plain");
        RandomModelWriter.write(shape().extraConfig("{\"q_lora_rank\": null, \"topk_method\": \"greedy\", "
                + "\"rope_scaling\": null, \"first_k_dense_replace\": 0, \"n_shared_experts\": 2}").build(), dir);
        double max = FamilyChecks.assertHooksMatchReference(dir, dir, prompts(), TOLERANCE, "deepseek_v2 plain");
        System.out.println("deepseek_v2 (q_proj, greedy, plain RoPE): max rel err " + max);
    }

    @Test
    void yarnAndGroupLimitedRoutingChangeTheResultFarBeyondTheTolerance() {
        Path dir = tmp.resolve("deepseek");
        RandomModelWriter.write(shape().build(), dir);
        Path noYarn = tmp.resolve("no-yarn");
        RandomModelWriter.write(shape().extraConfig("{\"rope_scaling\": null}").build(), noYarn);
        assertTrue(FamilyChecks.worstError(noYarn, dir, prompts()) > 1000 * TOLERANCE, "yarn made no difference");
        Path greedy = tmp.resolve("greedy");
        RandomModelWriter.write(shape().extraConfig("{\"topk_method\": \"greedy\"}").build(), greedy);
        assertTrue(FamilyChecks.worstError(greedy, dir, prompts()) > 1000 * TOLERANCE, "group limit made no difference");
    }

    @Test
    void latentAttentionWithIdentityLatentProjectionsEqualsStandardAttention() throws Exception {
        // A Llama with one KV head (MQA) and all-one input norms (so each attention input has RMS 1), and a DeepSeek-V2
        // whose latent is the input itself (kv_a rows = identity, latent norm weight 1), whose values are Llama's
        // (kv_b = v_proj for every head), whose rope query/key rows are Llama's q/k rows reordered into HF's
        // interleaved pairs, and whose non-rotary query rows are zero; its rope rows are scaled by
        // sqrt((nope + rope) / rope) to undo the wider softmax scale. Every dense layer is the same MLP.
        int h = 48;
        int heads = 4;
        int d = 16;
        int nope = 2;
        Path llama = tmp.resolve("mqa-llama");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(2).dims(h, heads, 1, d).intermediate(80)
                .vocab(96).seed(47).build(), llama);
        JsonObject config = JsonParser.parseString(Files.readString(llama.resolve("config.json"))).getAsJsonObject();
        config.addProperty("rms_norm_eps", 1e-12);
        Map<String, float[]> lw = readF32(llama.resolve("model.safetensors"));
        Map<String, long[]> shapes = shapes(llama.resolve("model.safetensors"));
        Path llamaOnes = tmp.resolve("mqa-llama-ones");
        Files.createDirectories(llamaOnes);
        Files.writeString(llamaOnes.resolve("config.json"), config.toString(), StandardCharsets.UTF_8);
        SafetensorsWriter lOut = SafetensorsWriter.create(llamaOnes.resolve("model.safetensors"));
        Path ds = tmp.resolve("mla");
        Files.createDirectories(ds);
        SafetensorsWriter dOut = SafetensorsWriter.create(ds.resolve("model.safetensors"));
        float qScale = (float) Math.sqrt((double) (nope + d) / d);
        for (var e : lw.entrySet()) {
            String n = e.getKey();
            float[] v = n.endsWith("layernorm.weight") && n.contains("input_") ? ones(e.getValue().length) : e.getValue();
            lOut.addF32(n, shapes.get(n), v);
            if (!n.contains("self_attn.")) {
                dOut.addF32(n, shapes.get(n), v);
            }
        }
        for (int l = 0; l < 2; l++) {
            String a = "model.layers." + l + ".self_attn.";
            float[] wq = lw.get(a + "q_proj.weight");
            float[] wk = lw.get(a + "k_proj.weight");
            float[] wv = lw.get(a + "v_proj.weight");
            float[] q = new float[heads * (nope + d) * h];
            for (int hd = 0; hd < heads; hd++) {
                for (int i = 0; i < d; i++) {
                    int src = hd * d + interleavedSource(i, d);
                    for (int c = 0; c < h; c++) {
                        q[(hd * (nope + d) + nope + i) * h + c] = wq[src * h + c] * qScale;
                    }
                }
            }
            float[] kvA = new float[(h + d) * h];
            for (int i = 0; i < h; i++) {
                kvA[i * h + i] = 1f;
            }
            for (int i = 0; i < d; i++) {
                System.arraycopy(wk, interleavedSource(i, d) * h, kvA, (h + i) * h, h);
            }
            float[] kvB = new float[heads * (nope + d) * h];
            for (int hd = 0; hd < heads; hd++) {
                System.arraycopy(wv, 0, kvB, (hd * (nope + d) + nope) * h, d * h);
            }
            dOut.addF32(a + "q_proj.weight", new long[] {heads * (nope + d), h}, q);
            dOut.addF32(a + "kv_a_proj_with_mqa.weight", new long[] {h + d, h}, kvA);
            dOut.addF32(a + "kv_a_layernorm.weight", new long[] {h}, ones(h));
            dOut.addF32(a + "kv_b_proj.weight", new long[] {heads * (nope + d), h}, kvB);
            dOut.addF32(a + "o_proj.weight", shapes.get(a + "o_proj.weight"), lw.get(a + "o_proj.weight"));
        }
        lOut.write();
        dOut.write();
        JsonObject dc = config.deepCopy();
        dc.addProperty("model_type", "deepseek_v2");
        dc.addProperty("num_key_value_heads", heads);
        dc.add("q_lora_rank", null);
        dc.addProperty("kv_lora_rank", h);
        dc.addProperty("qk_nope_head_dim", nope);
        dc.addProperty("qk_rope_head_dim", d);
        dc.addProperty("v_head_dim", d);
        dc.addProperty("first_k_dense_replace", 2);
        Files.writeString(ds.resolve("config.json"), new GsonBuilder().serializeNulls().create().toJson(dc), StandardCharsets.UTF_8);
        float[][][][][] standard = HookCapture.run(llamaOnes, prompts(), PaddingSide.LEFT);
        float[][][][][] latent = HookCapture.run(ds, prompts(), PaddingSide.LEFT);
        double max = 0;
        for (int s = 0; s < standard.length; s++) {
            for (int l = 0; l < standard[s].length; l++) {
                for (int k = 0; k < standard[s][l].length; k++) {
                    max = Math.max(max, Comparisons.relativeError(latent[s][l][k], widen(standard[s][l][k])));
                }
            }
        }
        System.out.println("latent attention built as MQA vs standard attention: max rel err " + max);
        assertTrue(max <= TOLERANCE, "latent attention vs standard attention: " + max);
    }

    /** HF pairs features (2i, 2i+1) for frequency i; rotate-half pairs (i, i + d/2): the source row of interleaved row r. */
    private static int interleavedSource(int r, int d) {
        return r % 2 == 0 ? r / 2 : r / 2 + d / 2;
    }

    private static float[] ones(int n) {
        float[] o = new float[n];
        java.util.Arrays.fill(o, 1f);
        return o;
    }

    private static double[][] widen(float[][] x) {
        double[][] out = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            out[i] = new double[x[i].length];
            for (int j = 0; j < x[i].length; j++) {
                out[i][j] = x[i][j];
            }
        }
        return out;
    }

    private static Map<String, float[]> readF32(Path file) throws Exception {
        Map<String, float[]> out = new HashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (TensorInfo t : f.tensors()) {
                out.put(t.name(), f.data(t).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN)));
            }
        }
        return out;
    }

    private static Map<String, long[]> shapes(Path file) throws Exception {
        Map<String, long[]> out = new HashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (TensorInfo t : f.tensors()) {
                out.put(t.name(), t.shape());
            }
        }
        return out;
    }
}
