package org.fpwap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Python snippets for {@code --store bf16|int8} ({@code scripts/examples/read_compressed.py}) read
 * real {@code fpwap extract} outputs of stories260K with numpy, pyarrow and safetensors, and agree with the f32
 * outputs within each format's bound. Runs only where a Python with those modules (and ml_dtypes) is found:
 * {@code $FPWAP_PYTHON}, else {@code python3}; skipped with the reason otherwise (CI has none).
 */
class ExtractPythonReadTest {

    private static final Path MODEL = Path.of(System.getProperty("fpwap.shared.dir", "../shared"), "models", "stories260K");
    private static final Path SCRIPT = Path.of("..", "scripts", "examples", "read_compressed.py");

    @TempDir
    Path tmp;

    private static String python() {
        String env = System.getenv("FPWAP_PYTHON");
        return env == null || env.isBlank() ? "python3" : env;
    }

    private static ProcessResult runPython(List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(python()));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new ProcessResult(-1, out + "\n(timed out)");
        }
        return new ProcessResult(p.exitValue(), out);
    }

    private record ProcessResult(int exitCode, String output) {}

    @Test
    void theReadmeSnippetsReadInt8AndBf16OutputsWithinTheirBounds() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(MODEL), MODEL + " is absent");
        ProcessResult probe;
        try {
            probe = runPython(List.of("-c", "import numpy, pyarrow, safetensors, ml_dtypes"));
        } catch (IOException e) {
            probe = new ProcessResult(-1, e.getMessage());
        }
        Assumptions.assumeTrue(probe.exitCode() == 0, "no Python with numpy, pyarrow, safetensors and ml_dtypes ("
                + python() + "; set FPWAP_PYTHON): " + probe.output().strip());
        Random random = new Random(3);
        StringBuilder prompts = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            prompts.append("{\"input_ids\": [1");
            for (int t = 0, n = 3 + random.nextInt(18); t < n; t++) {
                prompts.append(", ").append(2 + random.nextInt(510));
            }
            prompts.append("]}\n");
        }
        Path input = Files.writeString(tmp.resolve("prompts.jsonl"), prompts);
        String[][] runs = {
            {"f32", "f32", "last", "arrow"}, {"f32-st", "f32", "last", "safetensors"}, {"f32-all", "f32", "all", "arrow"},
            {"int8-arrow", "int8", "last", "arrow"}, {"int8-safetensors", "int8", "last", "safetensors"},
            {"int8-all", "int8", "all", "arrow"}, {"int8-all-st", "int8", "all", "safetensors"},
            {"bf16-arrow", "bf16", "last", "arrow"}, {"bf16-safetensors", "bf16", "last", "safetensors"},
            {"bf16-all", "bf16", "all", "arrow"}};
        for (String[] r : runs) {
            CliRun run = CliRun.of("extract", "--model", MODEL.toString(), "--input", input.toString(), "--out",
                    tmp.resolve(r[0]).toString(), "--layers", "3", "--store", r[1], "--pool", r[2], "--format", r[3], "--quiet");
            assertEquals(0, run.exitCode(), run.toString());
        }
        ProcessResult result = runPython(List.of(SCRIPT.toString(), tmp.toString()));
        assertEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().contains("all README snippets ran"), result.output());
    }
}
