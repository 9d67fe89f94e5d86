package org.fpwap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.safetensors.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code fpwap inspect}: the family, the bytes of one layer (expected values from each family's tensor shapes,
 * written out here from the HF layouts), and the budget verdict both ways.
 */
class InspectCommandTest {

    private static final int H = 64;
    private static final int HEADS = 4;
    private static final int KV = 2;
    private static final int HEAD_DIM = 16;
    private static final int MLP = 96;

    @TempDir
    Path tmp;

    /** Parameters of one block, from the HF module shapes of each family. */
    private static long parametersPerLayer(ModelFamily family) {
        long q = (long) H * HEADS * HEAD_DIM;
        long kv = (long) H * KV * HEAD_DIM;
        return switch (family) {
            case LLAMA, MISTRAL, GEMMA -> q + 2 * kv + q + 3L * H * MLP + 2L * H;
            case QWEN2 -> q + 2 * kv + q + 3L * H * MLP + 2L * H + HEADS * HEAD_DIM + 2L * KV * HEAD_DIM; // q/k/v biases
            // c_attn [H,3H]+3H, c_proj [H,H]+H, c_fc [H,I]+I, mlp c_proj [I,H]+H, ln_1 and ln_2 weight+bias
            case GPT2 -> 3L * H * H + 3L * H + (long) H * H + H + (long) H * MLP + MLP + (long) MLP * H + H + 4L * H;
            default -> throw new IllegalArgumentException(family + ": its parameter count is checked by the family's own tests");
        };
    }

    private Path model(ModelFamily family) {
        Path dir = tmp.resolve(family.modelType());
        int kv = family == ModelFamily.GPT2 ? HEADS : KV;
        RandomModelWriter.write(RandomModelConfig.builder(family).dims(H, HEADS, kv, HEAD_DIM).intermediate(MLP).layers(3).vocab(100)
                .dtype(DType.BF16).build(), dir);
        return dir;
    }

    @ParameterizedTest
    @EnumSource(value = ModelFamily.class, names = {"LLAMA", "MISTRAL", "QWEN2", "GEMMA", "GPT2"})
    void inspectNamesTheFamilyAndTheBytesOfOneLayer(ModelFamily family) {
        Path dir = model(family);
        CliRun run = CliRun.of("inspect", dir.toString());
        assertEquals(0, run.exitCode(), run.toString());
        String out = run.out();
        long params = parametersPerLayer(family);
        assertTrue(out.contains("family:       " + family.modelType() + "\n"), run.toString());
        assertTrue(out.contains(String.format(Locale.ROOT, "per layer:    %,d parameters, %,d B in the files, %,d B as FP32",
                params, 2 * params, 4 * params)), "expected " + params + " parameters per layer (BF16 files): " + run);
    }

    @Test
    void theBudgetVerdictSaysWhetherOneLayerAndAMicrobatchFit() {
        Path dir = model(ModelFamily.LLAMA);
        CliRun roomy = CliRun.of("inspect", dir.toString(), "--device-memory", Long.toString(1L << 30));
        assertEquals(0, roomy.exitCode(), roomy.toString());
        assertTrue(roomy.out().contains("budget 1,073,741,824 B;") && roomy.out().trim().endsWith(": fits"), roomy.toString());
        CliRun tight = CliRun.of("inspect", dir.toString(), "--device-memory", "100000");
        assertEquals(0, tight.exitCode(), tight.toString());
        assertTrue(tight.out().contains("budget 100,000 B;") && tight.out().trim().endsWith(": DOES NOT FIT"), tight.toString());
    }

    @Test
    void tensorsListsEveryTensorWithItsDtypeShapeAndFile() {
        Path dir = model(ModelFamily.QWEN2);
        CliRun run = CliRun.of("inspect", dir.toString(), "--tensors");
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().lines().anyMatch(l -> l.trim().startsWith("model.layers.2.self_attn.q_proj.bias")
                && l.contains("BF16") && l.contains(Arrays.toString(new long[] {HEADS * HEAD_DIM})) && l.endsWith("model.safetensors")),
                run.toString());
    }

    @Test
    void aDirectoryWithoutAConfigIsBadInput() {
        CliRun run = CliRun.of("inspect", tmp.toString());
        assertEquals(ErrorReporter.BAD_INPUT, run.exitCode(), run.toString());
        assertTrue(run.err().startsWith("fpwap inspect: ") && run.err().contains("config.json"), run.toString());
    }
}
