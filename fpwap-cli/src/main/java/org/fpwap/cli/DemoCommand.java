package org.fpwap.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import org.fpwap.callbacks.Pool;
import org.fpwap.result.OutputFormat;
import org.fpwap.forward.Hook;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.safetensors.DType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fpwap demo}: makes the built-in demo model (Llama family, BF16, two shards) and a labelled
 * prompt file in a cache directory on first use, then runs a real extraction on them.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Build the demo model and prompts (once, in a cache directory) and extract activations from them.")
final class DemoCommand implements Callable<Integer> {

    /** Bumped whenever the demo model's shape changes, so stale caches are rebuilt rather than reused. */
    private static final String DEMO_VERSION = "demo-v1";

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(names = "--cache", paramLabel = "DIR", description = "Where the demo model and prompts live (default: $XDG_CACHE_HOME/fpwap or ~/.cache/fpwap).")
    Path cache;

    @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: <cache>/demo-run).")
    Path out;

    @Option(names = "--debug", description = "Print stack traces on errors.")
    boolean debug;

    @Override
    public Integer call() {
        PrintWriter o = spec.commandLine().getOut();
        Path root = (cache != null ? cache : defaultCache()).resolve(DEMO_VERSION);
        Path model = root.resolve("model");
        Path prompts = root.resolve("prompts.jsonl");
        Path outDir = out != null ? out : root.resolve("demo-run");
        if (!Files.exists(root.resolve(".complete"))) {
            o.println("building the demo model and prompts in " + root + " (first run only) ...");
            o.flush();
            RandomModelWriter.write(demoModel(), model);
            writePrompts(prompts);
            touch(root.resolve(".complete"));
        }
        o.println("model:   " + model + " (llama, BF16, 2 shards, H=256, 4 layers)");
        o.println("prompts: " + prompts + " (64 labelled prompts, 8-64 tokens)");
        o.flush();
        ExtractJob job = new ExtractJob(model, prompts, outDir, Optional.empty(), Set.of(Hook.RESIDUAL_POST), Pool.LAST,
                true, OutputFormat.ARROW, 0, "cpu", 0, Optional.empty(), false, false);
        ExtractJob.Outcome outcome = job.run(o);
        outcome.summary().forEach(o::println);
        o.println("outputs (Arrow IPC: sample_id, label, activation[256]), profile and manifest:");
        outcome.files().forEach(p -> o.println("  " + p));
        o.flush();
        return 0;
    }

    static RandomModelConfig demoModel() {
        return RandomModelConfig.builder(ModelFamily.LLAMA)
                .dims(256, 8, 4, 32)
                .layers(4)
                .intermediate(704)
                .vocab(2048)
                .maxPositions(512)
                .dtype(DType.BF16)
                .shards(2)
                .seed(2026)
                .build();
    }

    /** Two classes whose prompts draw tokens from different halves of the vocabulary, so the label is learnable. */
    private static void writePrompts(Path file) {
        Random random = new Random(7);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 64; i++) {
            int label = i % 2;
            int len = 8 + random.nextInt(57);
            sb.append("{\"input_ids\": [1");
            for (int t = 1; t < len; t++) {
                sb.append(", ").append(2 + label * 1023 + random.nextInt(1023));
            }
            sb.append("], \"label\": ").append(label).append("}\n");
        }
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, sb, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static void touch(Path file) {
        try {
            Files.writeString(file, DEMO_VERSION + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static Path defaultCache() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("fpwap");
    }
}
