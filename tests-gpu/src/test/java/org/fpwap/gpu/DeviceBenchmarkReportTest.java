package org.fpwap.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.fpwap.device.DeviceTransfer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The device benchmark's report, rehearsed on CPU with the copying upload a GPU takes: per layer and in total it gives
 * upload bytes and seconds (weights and residual rows), download bytes and seconds, forward seconds and achieved
 * TFLOP/s beside the matmul rate measured in the same process; the byte counts equal the sizes worked out from the
 * generated model's dimensions (H=128: one head of 128, one KV head, I=256) and the prompts.
 */
class DeviceBenchmarkReportTest {

    private static final int HIDDEN = 128;
    private static final int INTERMEDIATE = 256;
    private static final int LAYERS = 2;
    private static final int PROMPTS = 6;
    private static final int TOKENS = 8;

    @TempDir
    Path tmp;

    @AfterEach
    void clearSwitch() {
        System.clearProperty(DeviceTransfer.FORCE_COPY_PROPERTY);
    }

    @Test
    void theReportSaysPerLayerWhereTheTimeWentWithTheMatmulRateBeside() throws Exception {
        System.setProperty(DeviceTransfer.FORCE_COPY_PROPERTY, "true");
        Path file = DeviceBenchmark.run("cpu", tmp, HIDDEN, LAYERS, PROMPTS, TOKENS, 128);
        JsonObject r = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        long blockParams = 4L * HIDDEN * HIDDEN + 3L * HIDDEN * INTERMEDIATE;
        long weights = Float.BYTES * (blockParams + 2L * HIDDEN);
        long rows = (long) Float.BYTES * PROMPTS * TOKENS * HIDDEN;
        assertTrue(r.get("matmul_fp32_tflops").getAsDouble() > 0, r.toString());
        assertEquals(PROMPTS * TOKENS, r.get("tokens").getAsLong());
        assertEquals(LAYERS * (weights + rows), r.get("upload_bytes").getAsLong());
        assertEquals(LAYERS * weights, r.get("weight_upload_bytes").getAsLong());
        assertEquals((LAYERS - 1) * rows, r.get("download_bytes").getAsLong());
        JsonArray layers = r.getAsJsonArray("layers");
        assertEquals(LAYERS, layers.size());
        double forward = 0;
        for (int l = 0; l < LAYERS; l++) {
            JsonObject j = layers.get(l).getAsJsonObject();
            assertEquals(l, j.get("layer").getAsInt());
            assertEquals(weights + rows, j.get("upload_bytes").getAsLong(), j.toString());
            assertEquals(l < LAYERS - 1 ? rows : 0, j.get("download_bytes").getAsLong(), j.toString());
            assertTrue(j.get("upload_s").getAsDouble() > 0 && j.get("forward_s").getAsDouble() > 0, j.toString());
            double flops = 2.0 * blockParams * PROMPTS * TOKENS;
            assertEquals(flops / j.get("forward_s").getAsDouble() / 1e12, j.get("achieved_tflops_forward").getAsDouble(), 1e-12, j.toString());
            forward += j.get("forward_s").getAsDouble();
        }
        assertEquals(forward, r.get("forward_s").getAsDouble(), 1e-9);
        assertEquals(r.get("achieved_tflops_forward").getAsDouble() / r.get("matmul_fp32_tflops").getAsDouble(),
                r.get("fraction_of_matmul_rate_forward").getAsDouble(), 1e-9);
        String table = DeviceBenchmark.table(r);
        assertTrue(table.contains("FP32 matmul") && table.lines().anyMatch(line -> line.startsWith("total ")), table);
        assertEquals(LAYERS + 3, table.lines().count(), table);
    }
}
