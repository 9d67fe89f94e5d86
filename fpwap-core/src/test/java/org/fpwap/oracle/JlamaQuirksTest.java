package org.fpwap.oracle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;
import org.fpwap.oracle.OracleModels.Family;
import org.fpwap.oracle.OracleModels.Spec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Pins down where Jlama 0.8.4 deviates from Hugging Face semantics, so that nobody builds an oracle
 * comparison on one of these configurations by accident (and so that a Jlama upgrade that fixes one
 * shows up here). Each test shows the deviation against {@link ReferenceForward}.
 */
class JlamaQuirksTest {

    private static Path model(Path dir, Spec spec, Consumer<JsonObject> editConfig) throws IOException {
        OracleModels.write(dir, spec, 11);
        Path cfg = dir.resolve("config.json");
        JsonObject c = new Gson().fromJson(Files.readString(cfg), JsonObject.class);
        editConfig.accept(c);
        Files.writeString(cfg, c.toString());
        return dir;
    }

    private static double[] errors(Path dir, int len) throws IOException {
        int[] ids = JlamaOracleTest.prompt(len, 96, len);
        try (JlamaOracle o = JlamaOracle.load(dir)) {
            double[] e = JlamaOracleTest.relErrors(o.hiddenStates(ids), ReferenceForward.load(dir).hiddenStates(ids));
            System.out.println(dir.getFileName() + " T=" + len + " rel err per layer " + Arrays.toString(e));
            return e;
        }
    }

    /**
     * Qwen2Config and MistralConfig pass {@code rope_theta} straight through: without the key Jlama
     * applies no RoPE at all (Hugging Face defaults to 10000). LlamaConfig/GemmaConfig default to
     * 10000 like Hugging Face.
     */
    @ParameterizedTest
    @EnumSource(value = Family.class, names = {"QWEN2", "MISTRAL"})
    void withoutRopeThetaJlamaSkipsRope(Family family, @TempDir Path tmp) throws Exception {
        Path dir = model(tmp.resolve(family.modelType + "-no-rope-theta"), Spec.of(family).withTheta(10000.0), c -> c.remove("rope_theta"));
        try (JlamaOracle o = JlamaOracle.load(dir)) {
            assertTrue(o.jlamaConfig().ropeFreqs.isEmpty(), "Jlama built no RoPE table");
        }
        assertTrue(errors(dir, 1)[1] <= JlamaOracleTest.TOL, "position 0 has no rotation anyway");
        assertTrue(errors(dir, 7)[1] > 1e-3, "without RoPE, later positions differ");
    }

    /**
     * Jlama's activation "gelu" is the tanh approximation; Hugging Face's {@code gelu} is the exact
     * erf form. ({@code gelu_pytorch_tanh} / {@code gelu_new} agree: see the gemma and gpt2 checks.)
     */
    @Test
    void hiddenActGeluIsTanhGelu(@TempDir Path tmp) throws Exception {
        Path dir = model(tmp.resolve("llama-gelu"), Spec.of(Family.LLAMA), c -> c.addProperty("hidden_act", "gelu"));
        double[] e = errors(dir, 7);
        assertEquals(0.0, e[0]);
        assertTrue(e[1] > JlamaOracleTest.TOL, "erf-GELU vs tanh-GELU");
    }

    /**
     * Jlama loops attention over {@code hidden / head_dim} heads: a Mistral with
     * heads × head_dim > hidden silently loses the remaining heads (no error).
     */
    @Test
    void mistralDropsHeadsBeyondHidden(@TempDir Path tmp) throws Exception {
        Spec spec = Spec.of(Family.MISTRAL).withHeads(8, 2, 16); // 8 × 16 = 128 > 64
        Path dir = model(tmp.resolve("mistral-wide-heads"), spec, c -> {});
        try (JlamaOracle o = JlamaOracle.load(dir)) {
            assertEquals(16, o.jlamaConfig().headSize);
            assertEquals(4, o.jlamaConfig().dctx().headEnd, "only hidden/head_dim = 4 of 8 heads run");
        }
        double[] e = errors(dir, 7);
        assertEquals(0.0, e[0]);
        assertTrue(e[1] > 1e-2, "half the heads missing");
    }
}
