package org.fpwap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fpwap preflight}: exit 0 and a plan when feasible; exit 1 and one actionable message per blocker
 * otherwise; and {@code extract} refuses an infeasible plan with the same messages, writing nothing.
 */
class PreflightCommandTest {

    @TempDir
    static Path tmp;

    private static Path model;
    private static Path good;

    @BeforeAll
    static void makeModel() throws IOException {
        model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).maxPositions(32).build(), model);
        good = Files.writeString(tmp.resolve("good.jsonl"), "{\"input_ids\": [1, 2, 3]}\n{\"input_ids\": [4, 5]}\n");
    }

    private static CliRun preflight(Path modelDir, Path input, String... extra) {
        List<String> args = new ArrayList<>(List.of("preflight", "--model", modelDir.toString(), "--input", input.toString(),
                "--out", tmp.resolve("out").toString()));
        args.addAll(List.of(extra));
        return CliRun.of(args.toArray(String[]::new));
    }

    private static void assertBlocked(CliRun run, String... fragments) {
        assertEquals(1, run.exitCode(), run.toString());
        for (String f : fragments) {
            assertTrue(run.err().contains(f), "stderr should mention \"" + f + "\":\n" + run);
        }
    }

    @Test
    void aFeasiblePlanPrintsTheScheduleMemoryAndEstimate() {
        CliRun run = preflight(model, good);
        assertEquals(0, run.exitCode(), run.toString());
        for (String f : List.of("plan: feasible", "2 prompts, 5 tokens", "2 layers x 2 microbatches", "budget", "estimate:")) {
            assertTrue(run.out().contains(f), "should mention \"" + f + "\":\n" + run);
        }
    }

    @Test
    void aTokenOutsideTheVocabularyBlocks() throws IOException {
        Path input = Files.writeString(tmp.resolve("oov.jsonl"), "{\"input_ids\": [1, 500]}\n");
        assertBlocked(preflight(model, input), "plan: NOT feasible", "oov.jsonl:1", "input_ids[1] = 500", "[0, 128)");
    }

    @Test
    void aPromptLongerThanThePositionLimitBlocks() throws IOException {
        StringBuilder ids = new StringBuilder("1");
        for (int i = 0; i < 40; i++) {
            ids.append(", 2");
        }
        Path input = Files.writeString(tmp.resolve("long.jsonl"), "{\"input_ids\": [" + ids + "]}\n");
        assertBlocked(preflight(model, input), "long.jsonl:1", "41 tokens", "position limit 32");
    }

    @Test
    void aBudgetTooSmallNamesTheBytesNeeded() {
        assertBlocked(preflight(model, good, "--device-memory", "1000"), "need", "bytes", "budget is 1,000");
    }

    @Test
    void aMicrobatchTooLargeForTheBudgetNamesItsBytes() {
        assertBlocked(preflight(model, good, "--device-memory", "300000", "--microbatch", "2"),
                "a microbatch of 2 prompts x 3 tokens needs", "budget is 300,000");
    }

    @Test
    void aMissingTensorBlocks() throws IOException {
        Path broken = tmp.resolve("missing-tensor");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(2).build(), broken);
        String config = Files.readString(broken.resolve("config.json")).replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3");
        Files.writeString(broken.resolve("config.json"), config);
        assertBlocked(preflight(broken, good), "tensor \"model.layers.2.input_layernorm.weight\" is missing");
    }

    @Test
    void aResidualBufferLargerThanTheDiskBlocks() throws IOException {
        Path huge = Files.createDirectories(tmp.resolve("huge"));
        Files.copy(model.resolve("model.safetensors"), huge.resolve("model.safetensors"));
        Files.writeString(huge.resolve("config.json"), """
                {"model_type": "llama", "hidden_size": 134217728, "intermediate_size": 16, "num_hidden_layers": 1,
                 "num_attention_heads": 1, "vocab_size": 128, "max_position_embeddings": 4096}
                """);
        StringBuilder sb = new StringBuilder();
        for (int p = 0; p < 4; p++) {
            sb.append("{\"input_ids\": [1");
            for (int i = 0; i < 1000; i++) {
                sb.append(", 3");
            }
            sb.append("]}\n");
        }
        Path input = Files.writeString(tmp.resolve("many.jsonl"), sb);
        assertBlocked(preflight(huge, input), "the run needs about", "bytes on disk in", "residual buffer 2.0 TiB", "are free");
    }

    @Test
    void aLayerOutOfRangeAndAnUnknownHookAreNamed() {
        CliRun layer = preflight(model, good, "--layers", "7");
        assertEquals(1, layer.exitCode(), layer.toString());
        assertTrue(layer.err().contains("layer 7 is out of range for a model with 2 layers"), layer.toString());
        CliRun hook = preflight(model, good, "--hooks", "resid");
        assertEquals(1, hook.exitCode(), hook.toString());
        assertTrue(hook.err().contains("unknown hook \"resid\""), hook.toString());
    }

    @Test
    void extractRefusesAnInfeasiblePlanWithTheSameMessageAndWritesNothing() {
        Path out = tmp.resolve("refused");
        CliRun run = CliRun.of("extract", "--model", model.toString(), "--input", good.toString(), "--out", out.toString(),
                "--device-memory", "1000");
        assertEquals(1, run.exitCode(), run.toString());
        assertTrue(run.err().contains("budget is 1,000"), run.toString());
        assertFalse(Files.exists(out.resolve("manifest.json")));
        assertFalse(Files.exists(out.resolve(ExtractJob.WORK_DIR)));
    }
}
