package org.fpwap.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fpwap.callback.Store;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.result.ActivationRow;
import org.fpwap.result.ArrowActivationReader;
import org.fpwap.safetensors.DType;
import org.fpwap.safetensors.SafetensorsFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code extract --store bf16|int8} writes the documented layouts in both formats, the Arrow and safetensors
 * outputs of one store agree, verify passes, and a bad value is one clear error.
 */
class ExtractStoreTest {

    @TempDir
    static Path tmp;

    private static Path model;
    private static Path input;

    @BeforeAll
    static void makeModel() throws Exception {
        model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(2).build(), model);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 7; i++) {
            sb.append("{\"input_ids\": [");
            for (int t = 0; t <= (i * 5) % 9; t++) {
                sb.append(t == 0 ? "" : ", ").append((i * 31 + t * 17) % 128);
            }
            sb.append("]}\n");
        }
        input = Files.writeString(tmp.resolve("prompts.jsonl"), sb);
    }

    private static CliRun extract(Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("extract", "--model", model.toString(), "--input",
                input.toString(), "--out", out.toString(), "--layers", "1", "--microbatch", "3", "--quiet"));
        args.addAll(List.of(extra));
        return CliRun.of(args.toArray(String[]::new));
    }

    @Test
    void int8PerTokenSafetensorsHasI8ActivationsAndOneScalePerToken() throws Exception {
        Path out = tmp.resolve("int8-per-token");
        CliRun run = extract(out, "--store", "int8", "--pool", "all", "--format", "safetensors", "--verify");
        assertEquals(0, run.exitCode(), run.toString());
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("layer-1/residual_post.safetensors"))) {
            long tokens = f.require("activations").shape()[0];
            assertEquals(DType.I8, f.require("activations").dtype());
            assertEquals(DType.F32, f.require("scales").dtype());
            assertArrayEquals(new long[] {tokens}, f.require("scales").shape());
            assertArrayEquals(new long[] {8}, f.require("offsets").shape());
        }
        String manifest = Files.readString(out.resolve("manifest.json"));
        assertEquals("int8", JsonParser.parseString(manifest).getAsJsonObject().getAsJsonObject("options").get("store").getAsString());
    }

    @Test
    void arrowAndSafetensorsOfOneStoreHoldTheSameValues() throws Exception {
        for (Store store : List.of(Store.BF16, Store.INT8)) {
            Path arrowOut = tmp.resolve(store.wireName() + "-arrow");
            Path stOut = tmp.resolve(store.wireName() + "-st");
            assertEquals(0, extract(arrowOut, "--store", store.wireName()).exitCode());
            assertEquals(0, extract(stOut, "--store", store.wireName(), "--format", "safetensors").exitCode());
            try (ArrowActivationReader arrow = ArrowActivationReader.open(arrowOut.resolve("layer-1/residual_post.arrow"));
                    SafetensorsFile st = SafetensorsFile.open(stOut.resolve("layer-1/residual_post.safetensors"))) {
                assertEquals(store, arrow.store());
                assertEquals(store == Store.INT8 ? DType.I8 : DType.BF16, st.require("activations").dtype());
                List<ActivationRow> rows = arrow.readAll();
                assertEquals(7, rows.size());
                int h = arrow.hiddenSize();
                var data = st.data("activations");
                for (int i = 0; i < rows.size(); i++) {
                    float[] v = rows.get(i).vector(0);
                    for (int d = 0; d < h; d++) {
                        float expected = store == Store.BF16
                                ? Float.intBitsToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * (i * h + d)) << 16)
                                : data.get(ValueLayout.JAVA_BYTE, (long) i * h + d)
                                        * st.data("scales").get(ValueLayout.JAVA_FLOAT_UNALIGNED, 4L * i);
                        assertEquals(expected, v[d], store + " sample " + i + " value " + d);
                    }
                }
            }
        }
    }

    @Test
    void anUnknownStoreIsOneClearError() {
        CliRun run = extract(tmp.resolve("bad"), "--store", "int4");
        assertEquals(1, run.exitCode(), run.toString());
        assertTrue(run.err().contains("--store int4 is not one of f32, bf16, int8"), run.toString());
        assertFalse(run.err().contains("\tat "), run.toString());
    }
}
