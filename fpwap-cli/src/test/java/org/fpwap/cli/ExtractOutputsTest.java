package org.fpwap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.safetensors.DType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fpwap extract} writes profile.json and the manifest, verifies on request, and leaves no scratch files. */
class ExtractOutputsTest {

    @TempDir
    static Path tmp;

    private static Path model;
    private static Path input;

    @BeforeAll
    static void makeModel() throws Exception {
        model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.QWEN2).layers(3).dtype(DType.BF16).shards(2).build(), model);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            sb.append("{\"input_ids\": [");
            for (int t = 0; t <= (i * 7) % 13; t++) {
                sb.append(t == 0 ? "" : ", ").append((i * 31 + t * 17) % 128);
            }
            sb.append("], \"label\": ").append(i % 2).append("}\n");
        }
        input = Files.writeString(tmp.resolve("prompts.jsonl"), sb);
    }

    @Test
    void verifyReportsBitIdenticalSchedulesAndExitsZero() {
        Path out = tmp.resolve("verify");
        CliRun run = CliRun.of("extract", "--model", model.toString(), "--input", input.toString(), "--out", out.toString(),
                "--hooks", "residual_pre,attn_out,mlp_out,residual_post", "--microbatch", "3", "--verify");
        assertEquals(0, run.exitCode(), run.toString());
        // 12 samples x 3 layers x 4 hooks, for the activations the callback saw and for RawActivations' emits.
        assertTrue(run.out().contains("verify passed: 288 per-sample activations and emits bit-identical"), run.toString());
    }

    @Test
    void profileJsonHasTheDocumentedKeysAndCountsEachLayerOnce() throws Exception {
        Path out = tmp.resolve("profile");
        CliRun run = CliRun.of("extract", "--model", model.toString(), "--input", input.toString(), "--out", out.toString(),
                "--microbatch", "2");
        assertEquals(0, run.exitCode(), run.toString());
        JsonObject profile = JsonParser.parseString(Files.readString(out.resolve("profile.json"))).getAsJsonObject();
        for (String key : List.of("tokens", "wall_s", "tok_per_s", "weight_bytes_read", "residual_bytes_read",
                "residual_bytes_written", "emitted_bytes", "layers")) {
            assertTrue(profile.has(key), "profile.json lacks " + key);
        }
        assertEquals(3, profile.getAsJsonArray("layers").size());
        for (String key : List.of("layer", "load_s", "load_wait_s", "forward_s", "callbacks_s", "io_s")) {
            assertTrue(profile.getAsJsonArray("layers").get(0).getAsJsonObject().has(key), "layer entry lacks " + key);
        }
        JsonObject manifest = JsonParser.parseString(Files.readString(out.resolve("manifest.json"))).getAsJsonObject();
        assertEquals(12, manifest.get("samples").getAsInt());
        assertTrue(manifest.getAsJsonArray("outputs").toString().contains("layer-2/residual_post.arrow"));
        assertFalse(Files.exists(out.resolve(ExtractJob.WORK_DIR)), "the sweep's scratch directory is removed");
    }
}
