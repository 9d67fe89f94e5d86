package org.fpwap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input to {@code fpwap extract} gives exit status 1, one message naming the file, line, field or
 * value, no stack trace (unless {@code --debug}), and no output files.
 */
class ExtractErrorsTest {

    @TempDir
    static Path tmp;

    private static Path model;
    private static Path goodInput;

    @BeforeAll
    static void makeModel() throws IOException {
        model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).maxPositions(16).build(), model);
        goodInput = jsonl("good.jsonl", "{\"input_ids\": [1, 2, 3]}", "{\"input_ids\": [4, 5]}");
    }

    private static Path jsonl(String name, String... lines) throws IOException {
        Path p = tmp.resolve(name);
        Files.writeString(p, String.join("\n", lines) + "\n");
        return p;
    }

    private static CliRun extract(Path modelDir, Path input, Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("extract", "--model", modelDir.toString(), "--input", input.toString(),
                "--out", out.toString()));
        args.addAll(List.of(extra));
        return CliRun.of(args.toArray(String[]::new));
    }

    /** Exit 1, the message contains every fragment, no stack trace, and no activation file was written. */
    private static void assertCleanFailure(CliRun run, Path out, String... fragments) throws IOException {
        assertEquals(1, run.exitCode(), run.toString());
        for (String f : fragments) {
            assertTrue(run.err().contains(f), "stderr should mention \"" + f + "\":\n" + run);
        }
        assertFalse(run.err().contains("\tat "), "no stack trace without --debug:\n" + run);
        if (Files.exists(out)) {
            try (Stream<Path> files = Files.walk(out)) {
                assertTrue(files.noneMatch(p -> p.toString().endsWith(".arrow") || p.toString().endsWith(".safetensors")),
                        "nothing written to " + out);
            }
        }
    }

    @Test
    void aLineThatIsNotJsonIsNamedByFileAndLine() throws IOException {
        Path input = jsonl("bad-json.jsonl", "{\"input_ids\": [1]}", "{\"input_ids\": [2]}", "{\"input_ids\": [3,");
        Path out = tmp.resolve("out-bad-json");
        assertCleanFailure(extract(model, input, out), out, "bad-json.jsonl:3", "not valid JSON");
    }

    @Test
    void aTokenOutsideTheVocabularyIsNamedWithItsIndexAndTheVocabularyRange() throws IOException {
        Path input = jsonl("oov.jsonl", "{\"input_ids\": [1, 2, 999]}");
        Path out = tmp.resolve("out-oov");
        assertCleanFailure(extract(model, input, out), out, "oov.jsonl:1", "input_ids[2] = 999", "[0, 128)");
    }

    @Test
    void anEmptyPromptIsRejected() throws IOException {
        Path input = jsonl("empty.jsonl", "{\"input_ids\": [1]}", "{\"input_ids\": []}");
        Path out = tmp.resolve("out-empty");
        assertCleanFailure(extract(model, input, out), out, "empty.jsonl:2", "\"input_ids\" is empty");
    }

    @Test
    void aPromptLongerThanThePositionLimitIsRejected() throws IOException {
        Path input = jsonl("long.jsonl", "{\"input_ids\": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]}");
        Path out = tmp.resolve("out-long");
        assertCleanFailure(extract(model, input, out), out, "long.jsonl:1", "17 tokens", "position limit 16");
    }

    @Test
    void aMissingInputIdsFieldAndANonIntegerLabelAreNamed() throws IOException {
        Path out = tmp.resolve("out-fields");
        assertCleanFailure(extract(model, jsonl("noids.jsonl", "{\"tokens\": [1]}"), out), out, "noids.jsonl:1", "\"input_ids\"");
        assertCleanFailure(extract(model, jsonl("label.jsonl", "{\"input_ids\": [1], \"label\": \"pos\"}"), out), out,
                "label.jsonl:1", "label must be an integer", "\"pos\"");
    }

    @Test
    void aLayerOutOfRangeNamesTheLayerCount() throws IOException {
        Path out = tmp.resolve("out-layer");
        assertCleanFailure(extract(model, goodInput, out, "--layers", "0,5"), out, "layer 5 is out of range", "2 layers");
    }

    @Test
    void anUnknownHookListsTheValidOnes() throws IOException {
        Path out = tmp.resolve("out-hook");
        assertCleanFailure(extract(model, goodInput, out, "--hooks", "residual_post,mlp_in"), out, "unknown hook \"mlp_in\"",
                "residual_pre, attn_out, mlp_out, residual_post");
    }

    @Test
    void anAbsentCudaDeviceFailsWithAMessageNotAJvmAbort() throws IOException {
        Path out = tmp.resolve("out-cuda");
        assertCleanFailure(extract(model, goodInput, out, "--device", "cuda"), out, "device cuda requested", "--device cpu");
    }

    @Test
    void aModelDirectoryWithoutConfigSaysSo() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("not-a-model"));
        Path out = tmp.resolve("out-noconfig");
        assertCleanFailure(extract(empty, goodInput, out), out, "config.json", "not found");
    }

    @Test
    void anUnsupportedFamilyIsNamed() throws IOException {
        Path dir = copyModel("falcon");
        Files.writeString(dir.resolve("config.json"), Files.readString(dir.resolve("config.json"))
                .replace("\"model_type\": \"llama\"", "\"model_type\": \"falcon\""));
        Path out = tmp.resolve("out-falcon");
        assertCleanFailure(extract(dir, goodInput, out), out, "model_type \"falcon\" is not supported");
    }

    @Test
    void aTruncatedSafetensorsFileIsNamed() throws IOException {
        Path dir = copyModel("truncated");
        Path weights = dir.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(weights);
        Files.write(weights, java.util.Arrays.copyOf(bytes, bytes.length - 100));
        Path out = tmp.resolve("out-truncated");
        assertCleanFailure(extract(dir, goodInput, out), out, "model.safetensors");
    }

    @Test
    void anOutputDirectoryThatCannotBeCreatedIsNamed() throws IOException {
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        Path out = file.resolve("sub");
        CliRun run = extract(model, goodInput, out);
        assertEquals(1, run.exitCode(), run.toString());
        assertTrue(run.err().contains("cannot create the output directory " + out), run.toString());
    }

    @Test
    void debugPrintsTheStackTrace() throws IOException {
        Path out = tmp.resolve("out-debug");
        CliRun run = extract(model, goodInput, out, "--layers", "9", "--debug");
        assertEquals(1, run.exitCode());
        assertTrue(run.err().contains("\tat "), run.toString());
    }

    @Test
    void goodInputSucceedsAndSaysWhereTheOutputsWent() {
        Path out = tmp.resolve("out-good");
        CliRun run = extract(model, goodInput, out);
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().contains(out.resolve("layer-1/residual_post.arrow").toString()), run.toString());
        assertTrue(Files.exists(out.resolve("manifest.json")));
    }

    private static Path copyModel(String name) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("model-" + name));
        try (Stream<Path> files = Files.list(model)) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        return dir;
    }
}
