package org.fpwap.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.List;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.Sample;
import org.fpwap.device.DeviceTransfer;
import org.fpwap.device.EngineInfo;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.profile.Profile;
import org.fpwap.profile.TransferCounts;
import org.fpwap.sweep.Sweep;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code profile.json} splits host-to-device uploads (block weights, residual rows) and device-to-host downloads from
 * the rest, per layer and in total. On CPU the tensors wrap host memory, so every figure is zero; with the copying
 * upload a GPU takes ({@code -Dfpwap.forceDeviceCopy=true}) the counts equal the sizes worked out from the model's
 * dimensions and the prompts (all of one length, so no padding), not from the engine's own bookkeeping.
 */
class DeviceTransfersProfileTest {

    private static final int HIDDEN = 64;
    private static final int HEADS = 4;
    private static final int KV_HEADS = 2;
    private static final int HEAD_DIM = 16;
    private static final int INTERMEDIATE = 160;
    private static final int LAYERS = 3;
    private static final int PROMPTS = 10;
    private static final int LENGTH = 7;
    private static final List<String> KEYS = List.of("upload_bytes", "upload_s", "weight_upload_bytes", "weight_upload_s",
            "residual_upload_bytes", "residual_upload_s", "download_bytes", "download_s");

    @TempDir
    Path tmp;

    @AfterEach
    void clearSwitch() {
        System.clearProperty(DeviceTransfer.FORCE_COPY_PROPERTY);
    }

    private Profile run() {
        Path model = tmp.resolve("model");
        if (!model.resolve("config.json").toFile().exists()) {
            RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).dims(HIDDEN, HEADS, KV_HEADS, HEAD_DIM)
                    .intermediate(INTERMEDIATE).layers(LAYERS).vocab(Fixtures.VOCAB).build(), model);
        }
        int[] lengths = new int[PROMPTS];
        java.util.Arrays.fill(lengths, LENGTH);
        List<Sample> data = Fixtures.prompts(3, lengths);
        try (Sweep sweep = Sweep.builder().model(model).dataset(Dataset.of(data)).callbacks(Fixtures.Record.everywhere()).device("cpu")
                .microbatch(4).workDir(tmp.resolve("w" + System.nanoTime())).build()) {
            return sweep.run().profile();
        }
    }

    @Test
    void onCpuNothingIsCopiedAndProfileJsonSaysZero() {
        JsonObject json = JsonParser.parseString(run().toJson()).getAsJsonObject();
        for (String key : KEYS) {
            assertEquals(0.0, json.get(key).getAsDouble(), key);
        }
        JsonArray layers = json.getAsJsonArray("layers");
        assertEquals(LAYERS, layers.size());
        for (var l : layers) {
            for (String key : KEYS) {
                assertEquals(0.0, l.getAsJsonObject().get(key).getAsDouble(), key + " of " + l);
            }
        }
    }

    @Test
    void withCopyingUploadsTheBytesAreTheModelsAndThePromptsSizes() {
        System.setProperty(DeviceTransfer.FORCE_COPY_PROPERTY, "true");
        Profile profile = run();
        long attention = (long) HIDDEN * HEADS * HEAD_DIM * 2 + 2L * HIDDEN * KV_HEADS * HEAD_DIM;
        long weights = Float.BYTES * (attention + 3L * HIDDEN * INTERMEDIATE + 2L * HIDDEN);
        long rows = (long) Float.BYTES * PROMPTS * LENGTH * HIDDEN;
        for (int layer = 0; layer < LAYERS; layer++) {
            TransferCounts t = profile.transfers(layer);
            assertEquals(weights, t.weightUploadBytes(), "layer " + layer + " weights, FP32");
            assertEquals(rows, t.residualUploadBytes(), "layer " + layer + " residual rows in");
            assertEquals(layer < LAYERS - 1 ? rows : 0, t.downloadBytes(), "layer " + layer + " rows out (none after the last)");
            assertTrue(t.weightUploadSeconds() > 0 && t.residualUploadSeconds() > 0, t.toString());
            assertEquals(layer < LAYERS - 1, t.downloadSeconds() > 0, t.toString());
        }
        TransferCounts total = profile.transferTotals();
        assertEquals(LAYERS * (weights + rows), total.uploadBytes());
        assertEquals((LAYERS - 1) * rows, total.downloadBytes());
        JsonObject json = JsonParser.parseString(profile.toJson()).getAsJsonObject();
        assertEquals(LAYERS * (weights + rows), json.get("upload_bytes").getAsLong());
        assertEquals(LAYERS * weights, json.get("weight_upload_bytes").getAsLong());
        assertEquals((LAYERS - 1) * rows, json.get("download_bytes").getAsLong());
        assertEquals(rows, json.getAsJsonArray("layers").get(0).getAsJsonObject().get("download_bytes").getAsLong());
        assertTrue(profile.summary().contains("uploaded " + String.format(java.util.Locale.ROOT, "%,d", LAYERS * (weights + rows)) + " B"),
                profile.summary());
    }

    @Test
    void profileJsonNamesWhicheverEngineItIsGiven() {
        EngineInfo site = new EngineInfo("2.11.0", "cu130", "/tmp/torchlib", "PYTORCH_LIBRARY_PATH=/tmp/torchlib", true, 1, "0.35.1");
        JsonObject engine = JsonParser.parseString(run().toJson(site)).getAsJsonObject().getAsJsonObject("engine");
        assertEquals("2.11.0", engine.get("libtorch_version").getAsString());
        assertEquals("cu130", engine.get("flavour").getAsString());
        assertEquals(1, engine.get("cuda_devices").getAsInt());
    }
}
