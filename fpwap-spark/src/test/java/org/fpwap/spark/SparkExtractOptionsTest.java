package org.fpwap.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code SparkExtract} refuses the {@code extract} options it does not honour, naming the option, before it starts
 * Spark (the model path does not exist, so getting past the refusal would fail differently).
 */
class SparkExtractOptionsTest {

    @TempDir
    Path tmp;

    private String runAndCaptureStderr(int expectedStatus, String... args) {
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (PrintStream capture = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setErr(capture);
            assertEquals(expectedStatus, SparkExtract.run(args));
        } finally {
            System.setErr(saved);
        }
        return err.toString(StandardCharsets.UTF_8);
    }

    private String[] args(String... extra) {
        String[] common = {"--spark", "local[1]", "--model", tmp.resolve("no-such-model").toString(), "--input",
            tmp.resolve("prompts.jsonl").toString(), "--out", tmp.resolve("out").toString()};
        String[] all = new String[common.length + extra.length];
        System.arraycopy(common, 0, all, 0, common.length);
        System.arraycopy(extra, 0, all, common.length, extra.length);
        return all;
    }

    @Test
    void verifyIsRefusedByName() {
        String err = runAndCaptureStderr(1, args("--verify"));
        assertTrue(err.contains("--verify"), err);
        assertTrue(err.contains("not supported"), err);
        assertEquals(1, err.strip().lines().count(), err);
        assertFalse(Files.exists(tmp.resolve("out")));
    }

    @Test
    void theNegatedFormOfANegatableOptionIsRefused() {
        String err = runAndCaptureStderr(1, args("--no-final-norm"));
        assertTrue(err.contains("--final-norm"), err);
        assertTrue(err.contains("not supported"), err);
    }

    @Test
    void supportedOptionsGetPastTheCheck() {
        // Fails later, on the missing model directory: the refusal did not fire.
        String err = runAndCaptureStderr(1, args("--microbatch", "2", "--pca", "2"));
        assertFalse(err.contains("not supported"), err);
        assertTrue(err.contains("no-such-model"), err);
    }
}
