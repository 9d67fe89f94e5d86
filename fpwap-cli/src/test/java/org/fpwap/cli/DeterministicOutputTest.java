package org.fpwap.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The same {@code extract} on the same inputs writes byte-identical files: activations, PCA and class-mean
 * artifacts. Each run is its own JVM, because per-JVM hashing seeds (e.g. {@code Map.of}'s iteration order)
 * are exactly what could make two runs differ. {@code manifest.json} and {@code profile.json} carry times
 * and are left out. The microbatch is fixed: the automatic choice is measured, so it may differ between runs, and
 * the bytes are promised only for the same microbatching (SPEC "Deterministic bytes").
 */
class DeterministicOutputTest {

    private static final Set<String> TIMED = Set.of("manifest.json", "profile.json");

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"arrow", "safetensors"})
    void twoRunsOfTheSameCommandWriteTheSameBytes(String format) throws Exception {
        Path model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(2).build(), model);
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            lines.append("{\"input_ids\": [").append(1 + i).append(", ").append(7 * i % 128).append(", ").append(3 + i % 5)
                    .append("], \"label\": ").append(i % 2).append("}\n");
        }
        Path input = Files.writeString(tmp.resolve("p.jsonl"), lines);
        List<Path> outs = List.of(tmp.resolve("first"), tmp.resolve("second"));
        for (Path out : outs) {
            extractInChildJvm(model, input, out, "--format", format, "--hooks", "residual_pre,residual_post",
                    "--pool", "all", "--pca", "2", "--diff-of-means", "--layers", "0,1", "--microbatch", "4");
        }
        List<Path> files = dataFiles(outs.get(0));
        assertTrue(files.stream().anyMatch(p -> p.toString().endsWith(".pca.safetensors")), files.toString());
        assertTrue(files.stream().anyMatch(p -> p.toString().endsWith("." + format)), files.toString());
        assertEquals(files, dataFiles(outs.get(1)));
        for (Path relative : files) {
            assertArrayEquals(Files.readAllBytes(outs.get(0).resolve(relative)), Files.readAllBytes(outs.get(1).resolve(relative)),
                    relative + " differs between two runs");
        }
    }

    private static List<Path> dataFiles(Path out) throws IOException {
        try (Stream<Path> walk = Files.walk(out)) {
            // The run lock holds the process id: it is not an output.
            return walk.filter(Files::isRegularFile).filter(p -> !TIMED.contains(p.getFileName().toString()))
                    .filter(p -> !p.getFileName().toString().equals(org.fpwap.run.RunLock.FILE_NAME))
                    .map(out::relativize).sorted().toList();
        }
    }

    private void extractInChildJvm(Path model, Path input, Path out, String... extra) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-opens=java.base/java.nio=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "-Dai.djl.offline=true", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), "org.fpwap.cli.Fpwap", "extract", "--quiet",
                "--model", model.toString(), "--input", input.toString(), "--out", out.toString()));
        command.addAll(List.of(extra));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "extract finished");
        assertEquals(0, p.exitValue(), output);
    }
}
