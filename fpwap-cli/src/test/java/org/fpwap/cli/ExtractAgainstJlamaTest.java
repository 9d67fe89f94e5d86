package org.fpwap.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import org.fpwap.oracle.JlamaOracle;
import org.fpwap.result.ActivationRow;
import org.fpwap.result.ArrowActivationReader;
import org.fpwap.safetensors.SafetensorsFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Assumptions;

/**
 * {@code fpwap extract} on the real stories260K weights writes, for every layer, hook and pooling, the
 * values Jlama (an independent implementation) computes, in dataset order, in both output formats.
 */
class ExtractAgainstJlamaTest {

    private static final double TOLERANCE = 1e-5;
    private static final Path MODEL = Path.of(System.getProperty("fpwap.shared.dir", "../shared"), "models", "stories260K");

    @TempDir
    static Path tmp;

    private static List<int[]> prompts;
    private static List<float[][][]> expected;
    private static Path input;

    @BeforeAll
    static void computeTheOracle() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(MODEL), "../shared/models/stories260K is absent; this test needs the real model");
        Random random = new Random(99);
        prompts = new ArrayList<>();
        StringBuilder jsonl = new StringBuilder();
        int[] lengths = {5, 1, 12, 30, 7, 7, 19};
        for (int i = 0; i < lengths.length; i++) {
            int[] p = new int[lengths[i]];
            p[0] = 1;
            for (int t = 1; t < p.length; t++) {
                p[t] = random.nextInt(512);
            }
            prompts.add(p);
            String label = i % 3 == 2 ? "" : ", \"label\": " + (i % 2);
            jsonl.append("{\"input_ids\": ").append(java.util.Arrays.toString(p)).append(label).append("}\n");
        }
        input = tmp.resolve("prompts.jsonl");
        Files.writeString(input, jsonl);
        expected = new ArrayList<>();
        try (JlamaOracle oracle = JlamaOracle.load(MODEL)) {
            for (int[] p : prompts) {
                expected.add(oracle.hiddenStates(p));
            }
        }
    }

    @Test
    void everyTokenOfEveryLayerEqualsJlamaInTheArrowOutput() throws Exception {
        Path out = tmp.resolve("all-arrow");
        CliRun run = CliRun.of("extract", "--model", MODEL.toString(), "--input", input.toString(), "--out", out.toString(),
                "--pool", "all", "--hooks", "residual_pre,residual_post", "--no-final-norm", "--microbatch", "3");
        assertEquals(0, run.exitCode(), run.toString());
        for (int layer = 0; layer < 5; layer++) {
            for (String hook : List.of("residual_pre", "residual_post")) {
                int state = hook.equals("residual_pre") ? layer : layer + 1;
                try (ArrowActivationReader reader = ArrowActivationReader.open(out.resolve("layer-" + layer + "/" + hook + ".arrow"))) {
                    assertTrue(reader.ragged());
                    assertEquals(prompts.size(), reader.rowCount());
                    for (int i = 0; i < prompts.size(); i++) {
                        ActivationRow row = reader.row(i);
                        assertEquals(i, row.sampleId(), "rows are in dataset order");
                        assertEquals(i % 3 == 2 ? OptionalLong.empty() : OptionalLong.of(i % 2), row.label());
                        assertClose(expected.get(i)[state], row.vectors(), "layer " + layer + " " + hook + " sample " + i);
                    }
                }
            }
        }
        assertTrue(Files.exists(out.resolve("manifest.json")));
    }

    @Test
    void lastAndMeanPoolingUseRealTokensAndTheFinalNormMatchesHfHiddenStates() throws Exception {
        float[] normWeight = finalNormWeight();
        for (String pool : List.of("last", "mean")) {
            Path out = tmp.resolve("pooled-" + pool);
            CliRun run = CliRun.of("extract", "--model", MODEL.toString(), "--input", input.toString(), "--out", out.toString(),
                    "--pool", pool, "--layers", "1,4", "--format", "safetensors", "--microbatch", "4");
            assertEquals(0, run.exitCode(), run.toString());
            for (int layer : new int[] {1, 4}) {
                try (SafetensorsFile f = SafetensorsFile.open(out.resolve("layer-" + layer + "/residual_post.safetensors"))) {
                    assertArrayEquals(new long[] {prompts.size(), 64}, f.require("activations").shape());
                    MemorySegment acts = f.data("activations");
                    MemorySegment ids = f.data("sample_ids");
                    for (int i = 0; i < prompts.size(); i++) {
                        assertEquals(i, ids.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i));
                        float[][] states = expected.get(i)[layer + 1];
                        if (layer == 4) {
                            states = rmsNorm(states, normWeight);
                        }
                        float[] want = pool.equals("last") ? states[states.length - 1] : mean(states);
                        float[] got = new float[64];
                        MemorySegment.copy(acts, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN),
                                (long) i * 64 * Float.BYTES, got, 0, 64);
                        assertClose(new float[][] {want}, new float[][] {got}, pool + " layer " + layer + " sample " + i);
                    }
                }
            }
        }
    }

    private static float[] finalNormWeight() {
        try (SafetensorsFile f = SafetensorsFile.open(MODEL.resolve("model.safetensors"))) {
            float[] w = new float[64];
            MemorySegment.copy(f.data("model.norm.weight"), ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, w, 0, 64);
            return w;
        }
    }

    /** HF LlamaRMSNorm in FP64: x / sqrt(mean(x²) + 1e-5) * w. */
    private static float[][] rmsNorm(float[][] x, float[] w) {
        float[][] out = new float[x.length][w.length];
        for (int t = 0; t < x.length; t++) {
            double ms = 0;
            for (float v : x[t]) {
                ms += (double) v * v;
            }
            double inv = 1 / Math.sqrt(ms / w.length + 1e-5);
            for (int h = 0; h < w.length; h++) {
                out[t][h] = (float) (x[t][h] * inv * w[h]);
            }
        }
        return out;
    }

    private static float[] mean(float[][] x) {
        float[] m = new float[x[0].length];
        for (int h = 0; h < m.length; h++) {
            double s = 0;
            for (float[] row : x) {
                s += row[h];
            }
            m[h] = (float) (s / x.length);
        }
        return m;
    }

    private static void assertClose(float[][] want, float[][] got, String what) {
        assertEquals(want.length, got.length, what + ": token count");
        double num = 0;
        double den = 0;
        for (int t = 0; t < want.length; t++) {
            for (int h = 0; h < want[t].length; h++) {
                double d = (double) got[t][h] - want[t][h];
                num += d * d;
                den += (double) want[t][h] * want[t][h];
            }
        }
        double err = Math.sqrt(num / den);
        assertTrue(err <= TOLERANCE, what + ": relative error " + err);
    }
}
