package org.fpwap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README: bad input fails "and nothing is written". That includes the output directory itself: a run that
 * fails before writing leaves no new directory behind, while a directory the user made is kept.
 */
class NoOutputOnBadInputTest {

    @TempDir
    static Path tmp;

    private static Path model;
    private static Path outsideVocabulary;

    @BeforeAll
    static void makeModel() throws Exception {
        model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(2).vocab(128).build(), model);
        outsideVocabulary = Files.writeString(tmp.resolve("bad.jsonl"), "{\"input_ids\": [1, 2, 999]}\n");
    }

    @Test
    void extractOnBadInputLeavesNoNewDirectory() {
        Path out = tmp.resolve("new-out");
        CliRun run = CliRun.of("extract", "--model", model.toString(), "--input", outsideVocabulary.toString(), "--out", out.toString());
        assertEquals(ErrorReporter.BAD_INPUT, run.exitCode(), run.toString());
        assertTrue(run.err().contains("999"), run.toString());
        assertFalse(Files.exists(out), "extract created " + out + " and left it behind");
    }

    @Test
    void preflightOnBadInputLeavesNoNewDirectory() {
        Path out = tmp.resolve("new-preflight-out");
        CliRun run = CliRun.of("preflight", "--model", model.toString(), "--input", outsideVocabulary.toString(), "--out", out.toString());
        assertTrue(run.exitCode() != 0, run.toString());
        assertFalse(Files.exists(out), "preflight created " + out + " and left it behind");
    }

    @Test
    void aDirectoryTheUserMadeIsKept() throws Exception {
        Path out = Files.createDirectories(tmp.resolve("users-own"));
        CliRun run = CliRun.of("extract", "--model", model.toString(), "--input", outsideVocabulary.toString(), "--out", out.toString());
        assertEquals(ErrorReporter.BAD_INPUT, run.exitCode(), run.toString());
        assertTrue(Files.isDirectory(out), "the user's directory is kept");
        try (var entries = Files.list(out)) {
            assertEquals(0, entries.count(), "and left empty");
        }
    }
}
