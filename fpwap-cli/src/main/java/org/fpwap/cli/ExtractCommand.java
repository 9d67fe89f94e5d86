package org.fpwap.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import org.fpwap.callbacks.Pool;
import org.fpwap.result.OutputFormat;
import org.fpwap.forward.Hook;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fpwap extract}: the main job. Its options and output layout are a public contract. */
@Command(name = "extract", mixinStandardHelpOptions = true,
        description = "Run prompts through a model and write per-layer activations.")
final class ExtractCommand implements Callable<Integer> {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "HF model directory (config.json + *.safetensors).")
    Path model;

    @Option(names = "--input", required = true, paramLabel = "FILE.jsonl",
            description = "Prompts, one JSON object per line: {\"input_ids\": [...], \"label\": <int, optional>}.")
    Path input;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--layers", defaultValue = "all", paramLabel = "all|I,J,...", description = "Layers to extract (default: ${DEFAULT-VALUE}).")
    String layers;

    @Option(names = "--hooks", defaultValue = "residual_post", paramLabel = "HOOK,...",
            description = "Any of residual_pre, attn_out, mlp_out, residual_post (default: ${DEFAULT-VALUE}).")
    String hooks;

    @Option(names = "--pool", defaultValue = "last", paramLabel = "last|mean|all",
            description = "last / mean over real tokens, or all real tokens (default: ${DEFAULT-VALUE}).")
    String pool;

    @Option(names = "--final-norm", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Apply the final norm to the last layer's residual_post, as HF hidden_states[-1] (default: on).")
    boolean finalNorm;

    @Option(names = "--format", defaultValue = "arrow", paramLabel = "arrow|safetensors", description = "Output format (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--microbatch", paramLabel = "N",
            description = "At most N prompts per microbatch (default: the largest that fits the device memory budget).")
    Integer microbatch;

    @Option(names = "--device", defaultValue = "cpu", paramLabel = "cpu|cuda|mps", description = "Compute device (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--verify", description = "Also run the naive schedule on the same microbatches and check every "
            + "activation the callbacks saw is bit-identical; exits 3 naming the first difference.")
    boolean verify;

    @Option(names = "--debug", description = "Print stack traces on errors.")
    boolean debug;

    /** Exit status when --verify finds a difference. */
    static final int VERIFY_FAILED = 3;

    @Override
    public Integer call() {
        ExtractJob.Outcome outcome = job().run();
        PrintWriter o = spec.commandLine().getOut();
        outcome.summary().forEach(o::println);
        outcome.files().forEach(p -> o.println("  " + p));
        o.flush();
        if (outcome.verification().isPresent() && !outcome.verification().get().identical()) {
            spec.commandLine().getErr().println("fpwap extract: " + outcome.verification().get().summary());
            spec.commandLine().getErr().flush();
            return VERIFY_FAILED;
        }
        return 0;
    }

    ExtractJob job() {
        return new ExtractJob(model, input, out, parseLayers(layers), parseHooks(hooks),
                Pool.fromWireName(pool).orElseThrow(() -> new IllegalArgumentException(
                        "--pool " + pool + " is not one of last, mean, all")),
                finalNorm, parseFormat(format), microbatch == null ? 0 : positive("--microbatch", microbatch), device, verify);
    }

    static Optional<List<Integer>> parseLayers(String text) {
        if (text.trim().equals("all")) {
            return Optional.empty();
        }
        List<Integer> result = new ArrayList<>();
        for (String part : text.split(",")) {
            try {
                result.add(Integer.parseInt(part.trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--layers: \"" + part.trim() + "\" is not a layer index; use all or I,J,...");
            }
        }
        return Optional.of(result);
    }

    static Set<Hook> parseHooks(String text) {
        Set<Hook> result = EnumSet.noneOf(Hook.class);
        for (String part : text.split(",")) {
            String name = part.trim();
            result.add(Hook.fromWireName(name).orElseThrow(() -> new IllegalArgumentException("--hooks: unknown hook \""
                    + name + "\"; use residual_pre, attn_out, mlp_out, residual_post")));
        }
        return result;
    }

    private static OutputFormat parseFormat(String text) {
        return switch (text.trim()) {
            case "arrow" -> OutputFormat.ARROW;
            case "safetensors" -> OutputFormat.SAFETENSORS;
            default -> throw new IllegalArgumentException("--format " + text + " is not one of arrow, safetensors");
        };
    }

    private static int positive(String option, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(option + " must be positive, got " + value);
        }
        return value;
    }
}
