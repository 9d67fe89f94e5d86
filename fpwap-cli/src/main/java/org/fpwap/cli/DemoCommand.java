package org.fpwap.cli;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import org.fpwap.callback.Artifact;
import org.fpwap.callback.ArtifactTensor;
import org.fpwap.callback.Callback;
import org.fpwap.callback.Layers;
import org.fpwap.callbacks.DiffOfMeans;
import org.fpwap.callbacks.IncrementalPCA;
import org.fpwap.callbacks.Pool;
import org.fpwap.callbacks.RawActivations;
import org.fpwap.callbacks.SteerInBasis;
import org.fpwap.callbacks.SteeringVector;
import org.fpwap.forward.Hook;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.result.ArrowActivationReader;
import org.fpwap.result.OutputFormat;
import org.fpwap.run.StopToken;
import org.fpwap.safetensors.DType;
import org.fpwap.sweep.Plan;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fpwap demo}: makes the built-in demo model (Llama family, BF16, two shards, ~24 MB per layer) and
 * a labelled prompt file in a cache directory on first use, then shows the whole workflow: preflight;
 * pass 1 with RawActivations + IncrementalPCA + DiffOfMeans; pass 2 steering along pass 1's first
 * principal component, verified bit for bit against the naive schedule (as {@code extract --verify}); and how far
 * the steering moved the last layer.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Build the demo model and prompts (once, in a cache directory), then run preflight, a sweep with "
                + "activations + PCA + diff-of-means, and a second sweep steering along the first PCA component, verified "
                + "bit for bit against the naive schedule.")
final class DemoCommand implements Callable<Integer> {

    /** Bumped whenever the demo model's shape changes, so stale caches are rebuilt rather than reused. */
    private static final String DEMO_VERSION = "demo-v2";
    private static final int LAYERS = 4;
    private static final int STEER_LAYER = 1;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(names = "--cache", paramLabel = "DIR", description = "Where the demo model and prompts live (default: $XDG_CACHE_HOME/fpwap or ~/.cache/fpwap).")
    Path cache;

    @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: <cache>/demo-v2/run).")
    Path out;

    @Option(names = "--quiet", description = "Print nothing but errors.")
    boolean quiet;

    @Option(names = "--debug", description = "Print stack traces on errors.")
    boolean debug;

    /** The same workflow on a 64-wide model, for tests; cached apart from the full demo. */
    @Option(names = "--small", hidden = true)
    boolean small;

    @Override
    public Integer call() {
        PrintWriter o = quiet ? new PrintWriter(PrintWriter.nullWriter()) : spec.commandLine().getOut();
        Path root = (cache != null ? cache : defaultCache()).resolve(small ? DEMO_VERSION + "-small" : DEMO_VERSION);
        RandomModelConfig config = demoModel(small);
        Path model = root.resolve("model");
        Path prompts = root.resolve("prompts.jsonl");
        Path runDir = out != null ? out : root.resolve("run");
        if (!Files.exists(root.resolve(".complete"))) {
            o.println("building the demo model and prompts in " + root + " (first run only) ...");
            o.flush();
            RandomModelWriter.write(config, model);
            writePrompts(prompts, promptCount());
            touch(root.resolve(".complete"));
        }
        o.printf(Locale.ROOT, "model:   %s (llama, BF16, 2 shards, H=%d, %d layers)%n", model, config.hiddenSize(), config.numLayers());
        o.printf(Locale.ROOT, "prompts: %s (%d prompts in two labelled classes, 8-64 tokens)%n", prompts, promptCount());

        Path pass1 = runDir.resolve("pass1");
        List<Callback> first = List.of(
                RawActivations.at(Layers.all()).pool(Pool.LAST),
                IncrementalPCA.at(Layers.all()).components(4),
                DiffOfMeans.at(Layers.all()));
        ExtractJob one = job(model, prompts, pass1, first, false);
        Plan plan = one.preflight();
        o.print(plan.summary());
        o.println("\npass 1: RawActivations (last token) + IncrementalPCA (k=4) + DiffOfMeans at every layer");
        o.flush();
        ExtractJob.Outcome outcome1 = one.run(quiet ? null : o, ExistingOutput.OVERWRITE, new StopToken());
        print(o, outcome1);

        Path basis = pass1.resolve("layer-" + STEER_LAYER + "/residual_post.pca.safetensors");
        Artifact pca = Artifact.read(basis);
        float sigma = (float) Math.sqrt(((ArtifactTensor.F32) pca.tensor("explained_variance")).data()[0]);
        float alpha = 4 * sigma;
        Path pass2 = runDir.resolve("pass2");
        o.printf(Locale.ROOT, "%npass 2: steer layer %d's residual_post along PCA component 0 of pass 1 (alpha = 4 sigma = %.3f), "
                + "verified against the naive schedule%n", STEER_LAYER, alpha);
        o.flush();
        List<Callback> second = List.of(
                SteerInBasis.at(Layers.of(STEER_LAYER), SteeringVector.fromFile(basis, "components", 0)).alpha(alpha),
                RawActivations.at(Layers.of(LAYERS - 1)).pool(Pool.LAST));
        ExtractJob.Outcome outcome2 = job(model, prompts, pass2, second, true).run(quiet ? null : o,
                ExistingOutput.OVERWRITE, new StopToken());
        print(o, outcome2);
        if (outcome2.verification().isPresent() && !outcome2.verification().get().identical()) {
            spec.commandLine().getErr().println("fpwap demo: " + outcome2.verification().get().summary());
            spec.commandLine().getErr().flush();
            return ExtractCommand.VERIFY_FAILED;
        }

        Path last = Path.of("layer-" + (LAYERS - 1), "residual_post.arrow");
        o.printf(Locale.ROOT, "%nsanity: steering moved the last layer's last-token activations by %.1f%% of their norm on average%n",
                100 * meanRelativeShift(pass1.resolve(last), pass2.resolve(last)));
        o.println("outputs: " + runDir);
        o.flush();
        return 0;
    }

    private static ExtractJob job(Path model, Path prompts, Path out, List<Callback> callbacks, boolean verify) {
        JsonObject options = new JsonObject();
        options.addProperty("demo", DEMO_VERSION);
        return new ExtractJob(model, prompts, out, callbacks, true, OutputFormat.ARROW, 0, "cpu", 0, Optional.empty(),
                Optional.empty(), verify, options);
    }

    private static void print(PrintWriter o, ExtractJob.Outcome outcome) {
        outcome.summary().forEach(o::println);
        outcome.files().forEach(p -> o.println("  " + p));
        o.flush();
    }

    /** Mean over samples of ‖after − before‖ / ‖before‖ for the pooled vectors in two Arrow files. */
    private static double meanRelativeShift(Path before, Path after) {
        try (ArrowActivationReader a = ArrowActivationReader.open(before);
                ArrowActivationReader b = ArrowActivationReader.open(after)) {
            double total = 0;
            for (int i = 0; i < a.rowCount(); i++) {
                float[] x = a.row(i).vector(0);
                float[] y = b.row(i).vector(0);
                double diff = 0;
                double norm = 0;
                for (int h = 0; h < x.length; h++) {
                    diff += (double) (y[h] - x[h]) * (y[h] - x[h]);
                    norm += (double) x[h] * x[h];
                }
                total += Math.sqrt(diff / norm);
            }
            return total / a.rowCount();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + before + " or " + after + ": " + e.getMessage(), e);
        }
    }

    static RandomModelConfig demoModel(boolean small) {
        return RandomModelConfig.builder(ModelFamily.LLAMA)
                .dims(small ? 64 : 1024, small ? 4 : 16, small ? 2 : 8, small ? 16 : 64)
                .layers(LAYERS)
                .intermediate(small ? 128 : 2816)
                .vocab(4096)
                .maxPositions(512)
                .dtype(DType.BF16)
                .shards(2)
                .seed(2026)
                .build();
    }

    /** Two classes whose prompts draw tokens from different halves of the vocabulary, so the label is learnable. */
    private int promptCount() {
        return small ? 32 : 96;
    }

    private static void writePrompts(Path file, int count) {
        Random random = new Random(7);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < count; i++) {
            int label = i % 2;
            int len = 8 + random.nextInt(57);
            sb.append("{\"input_ids\": [1");
            for (int t = 1; t < len; t++) {
                sb.append(", ").append(2 + label * 2047 + random.nextInt(2047));
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
