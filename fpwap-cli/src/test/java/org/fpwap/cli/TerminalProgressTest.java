package org.fpwap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On a terminal, progress is a live bar (layers × microbatches, tok/s): the CLI runs in a child JVM under a
 * pseudo-terminal made by util-linux {@code script}; skipped where that tool is absent.
 */
class TerminalProgressTest {

    @TempDir
    Path tmp;

    @Test
    void aTerminalGetsALiveProgressBar() throws Exception {
        Path script = Path.of("/usr/bin/script");
        Assumptions.assumeTrue(Files.isExecutable(script), "util-linux 'script' is not installed; no pseudo-terminal to test with");
        Path model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(2).build(), model);
        Path input = Files.writeString(tmp.resolve("p.jsonl"), "{\"input_ids\": [1, 2, 3]}\n{\"input_ids\": [4]}\n");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String command = String.join(" ", List.of(java, "--add-opens=java.base/java.nio=ALL-UNNAMED",
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Dai.djl.offline=true",
                "-cp", "'" + System.getProperty("java.class.path") + "'", "org.fpwap.cli.Fpwap", "extract",
                "--model", model.toString(), "--input", input.toString(), "--out", tmp.resolve("out").toString(),
                "--microbatch", "1"));
        Path log = tmp.resolve("tty.log");
        Process p = new ProcessBuilder(script.toString(), "-qec", command, log.toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("stdout").toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the CLI finished");
        String screen = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), screen);
        assertTrue(screen.contains("sweep") && screen.contains("4/4 mb"), "a bar counting 2 layers x 2 microbatches:\n" + screen);
        assertTrue(screen.contains("tok/s"), "the bar shows throughput:\n" + screen);
        assertTrue(screen.contains("extracted 2 prompts"), screen);
    }
}
