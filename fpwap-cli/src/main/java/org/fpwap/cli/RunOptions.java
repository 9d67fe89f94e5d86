package org.fpwap.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.fpwap.callbacks.Pool;
import org.fpwap.forward.Hook;
import org.fpwap.result.OutputFormat;
import picocli.CommandLine.Option;

/** The options {@code extract} and {@code preflight} share (a picocli mixin), and their parsing. */
final class RunOptions {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "HF model directory (config.json + *.safetensors).")
    Path model;

    @Option(names = "--input", required = true, paramLabel = "FILE",
            description = "Prompts: JSON Lines {\"input_ids\": [...], \"label\": <int, optional>} (or {\"text\": ...} with "
                    + "--tokenizer), or an Arrow IPC file with an input_ids column.")
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

    @Option(names = "--device", defaultValue = "cpu", paramLabel = "cpu|cuda|cuda:N|mps", description = "Compute device (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--device-memory", paramLabel = "BYTES",
            description = "Device memory the run may plan for (default: free GPU memory, or half the available RAM on CPU).")
    Long deviceMemory;

    @Option(names = "--tokenizer", paramLabel = "PATH",
            description = "The model's tokenizer.json: --input lines are {\"text\": \"...\", \"label\": ...} and are tokenized offline.")
    Path tokenizer;

    @Option(names = "--add-bos", description = "With --tokenizer: prepend the model's bos_token_id to every prompt.")
    boolean addBos;

    @Option(names = "--verify", description = "Also run the naive schedule on the same microbatches and check every "
            + "activation the callbacks saw is bit-identical; exits 3 naming the first difference.")
    boolean verify;

    @Option(names = "--quiet", description = "Print nothing but errors.")
    boolean quiet;

    @Option(names = "--debug", description = "Print stack traces on errors.")
    boolean debug;

    /** The job these options describe. */
    ExtractJob job() {
        if (addBos && tokenizer == null) {
            throw new IllegalArgumentException("--add-bos needs --tokenizer");
        }
        return new ExtractJob(model, input, out, parseLayers(layers), parseHooks(hooks),
                Pool.fromWireName(pool).orElseThrow(() -> new IllegalArgumentException(
                        "--pool " + pool + " is not one of last, mean, all")),
                finalNorm, parseFormat(format), microbatch == null ? 0 : positive("--microbatch", microbatch), device,
                deviceMemory == null ? 0 : positive("--device-memory", deviceMemory), Optional.ofNullable(tokenizer), addBos,
                verify);
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

    private static long positive(String option, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(option + " must be positive, got " + value);
        }
        return value;
    }
}
