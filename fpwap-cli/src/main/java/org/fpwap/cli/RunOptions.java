package org.fpwap.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import com.google.gson.JsonObject;
import org.fpwap.callback.Callback;
import org.fpwap.callback.LayerSelection;
import org.fpwap.callback.Layers;
import org.fpwap.callback.Store;
import org.fpwap.callbacks.DiffOfMeans;
import org.fpwap.callbacks.IncrementalPCA;
import org.fpwap.callbacks.Pool;
import org.fpwap.callbacks.RawActivations;
import org.fpwap.callbacks.SteerInBasis;
import org.fpwap.callbacks.SteeringVector;
import org.fpwap.forward.Hook;
import org.fpwap.hub.ModelLocation;
import org.fpwap.hub.ModelLocator;
import org.fpwap.result.OutputFormat;
import picocli.CommandLine.Option;

/** The options {@code extract} and {@code preflight} share (a picocli mixin), and their parsing. */
final class RunOptions {

    @Option(names = "--model", required = true, paramLabel = "DIR|ORG/NAME",
            description = "HF model directory (config.json + *.safetensors), or a Hugging Face id found offline in the local "
                    + "Hugging Face cache ($HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub); an existing "
                    + "directory wins. Nothing is downloaded.")
    String model;

    @Option(names = "--revision", paramLabel = "REV",
            description = "With a Hugging Face id: a branch or tag under the cache's refs/, or a commit hash (default: main).")
    String revision;

    @Option(names = "--input", required = true, paramLabel = "FILE",
            description = "Prompts: JSON Lines {\"input_ids\": [...], \"label\": <int, optional>} (or {\"text\": ...}, "
                    + "tokenized with the model's tokenizer.json or --tokenizer), or an Arrow IPC file with an input_ids column.")
    Path input;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--layers", defaultValue = "all", paramLabel = "all|I,J,...", description = "Layers to extract (default: ${DEFAULT-VALUE}).")
    String layers;

    @Option(names = "--hooks", defaultValue = "residual_post", paramLabel = "HOOK,...",
            description = "Any of residual_pre, attn_out, mlp_out, residual_post (default: ${DEFAULT-VALUE}).")
    String hooks;

    @Option(names = "--pool", defaultValue = "last", paramLabel = "last|mean|all|none",
            description = "last / mean over real tokens, all real tokens, or none (artifacts only) (default: ${DEFAULT-VALUE}).")
    String pool;

    @Option(names = "--pca", paramLabel = "K", description = "Fit an incremental PCA with K components at each selected "
            + "layer and hook (input: the pooled vectors, or every token with --pool all); writes layer-L/<hook>.pca.safetensors.")
    Integer pca;

    @Option(names = "--diff-of-means", description = "Per-class means of the pooled vectors (labels from the input) and "
            + "the class 1 - class 0 direction; writes layer-L/<hook>.diff_of_means.safetensors.")
    boolean diffOfMeans;

    @Option(names = "--steer", paramLabel = "FILE", description = "Steer along a vector read from this safetensors file "
            + "(e.g. a previous run's pca or diff_of_means artifact).")
    Path steer;

    @Option(names = "--steer-tensor", paramLabel = "NAME", description = "The tensor in --steer (e.g. components, direction).")
    String steerTensor;

    @Option(names = "--steer-row", paramLabel = "I", description = "Row of a matrix tensor (e.g. PCA component I).")
    Integer steerRow;

    @Option(names = "--alpha", defaultValue = "1.0", paramLabel = "A", description = "Steering strength: acts + A·v (default: ${DEFAULT-VALUE}).")
    float alpha;

    @Option(names = "--steer-layers", paramLabel = "L1,L2", description = "Layers to steer at.")
    String steerLayers;

    @Option(names = "--steer-hook", defaultValue = "residual_post", paramLabel = "HOOK",
            description = "Hook to steer at (default: ${DEFAULT-VALUE}: changes only later layers).")
    String steerHook;

    @Option(names = "--steer-positions", defaultValue = "all", paramLabel = "all|last",
            description = "Steer every real token or only the last (default: ${DEFAULT-VALUE}).")
    String steerPositions;

    @Option(names = "--steer-normalize", description = "Scale the steering vector to unit length first.")
    boolean steerNormalize;

    @Option(names = "--ablate", description = "Instead of adding, remove the component along the vector: acts - (acts·v̂)v̂.")
    boolean ablate;

    @Option(names = "--final-norm", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Apply the final norm to the last layer's residual_post, as HF hidden_states[-1] (default: on).")
    boolean finalNorm;

    @Option(names = "--format", defaultValue = "arrow", paramLabel = "arrow|safetensors", description = "Output format (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--store", defaultValue = "f32", paramLabel = "f32|bf16|int8",
            description = "How raw activations are stored: exact f32, bf16 (half the bytes), or int8 with one f32 scale per "
                    + "vector (a quarter; every value within scale/2) (default: ${DEFAULT-VALUE}).")
    String store;

    @Option(names = "--microbatch", paramLabel = "N",
            description = "At most N prompts per microbatch (default: the largest that fits the device memory budget).")
    Integer microbatch;

    @Option(names = "--device", defaultValue = "cpu", paramLabel = "cpu|cuda|cuda:N|mps", description = "Compute device (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--device-memory", paramLabel = "BYTES",
            description = "Device memory the run may plan for (default: free GPU memory, or half the available RAM on CPU).")
    Long deviceMemory;

    @Option(names = "--tokenizer", paramLabel = "PATH",
            description = "A tokenizer.json for text prompts ({\"text\": \"...\", \"label\": ...}), tokenized offline "
                    + "(default: the tokenizer.json beside the model's config.json, when the input holds text).")
    Path tokenizer;

    @Option(names = "--add-bos", negatable = true,
            description = "Text prompts: prepend the BOS token (or not) to every prompt (default: add_bos_token from the "
                    + "tokenizer_config.json beside the tokenizer, else no BOS).")
    Boolean addBos;

    @Option(names = "--verify", description = "Also run the naive schedule on the same microbatches and check every "
            + "activation the callbacks saw is bit-identical; exits 3 naming the first difference.")
    boolean verify;

    @Option(names = "--quiet", description = "Print nothing but errors.")
    boolean quiet;

    @Option(names = "--debug", description = "Print stack traces on errors.")
    boolean debug;

    /** The job these options describe, with {@code --model} found by {@code locator}. */
    ExtractJob job(ModelLocator locator) {
        ModelLocation location = locator.locate(model, Optional.ofNullable(revision));
        JsonObject manifest = manifestOptions();
        location.snapshot().ifPresent(s -> {
            manifest.addProperty("model_id", s.repoId());
            manifest.addProperty("revision", s.revision());
            manifest.addProperty("commit", s.commit());
        });
        return new ExtractJob(location.directory(), input, out, callbacks(), finalNorm, parseFormat(format),
                microbatch == null ? 0 : positive("--microbatch", microbatch), device,
                deviceMemory == null ? 0 : positive("--device-memory", deviceMemory), Optional.ofNullable(tokenizer),
                Optional.ofNullable(addBos), verify, manifest);
    }

    /** The callbacks the options ask for, in the order they run (steering first: it is the WRITE phase). */
    List<Callback> callbacks() {
        LayerSelection layerSelection = parseLayers(layers)
                .map(ls -> Layers.of(ls.stream().mapToInt(Integer::intValue).toArray()))
                .orElse(Layers.all());
        Set<Hook> hookSet = parseHooks(hooks);
        List<Callback> result = new ArrayList<>();
        steering().ifPresent(result::add);
        Optional<Pool> pooling = pool.equals("none") ? Optional.empty() : Optional.of(Pool.fromWireName(pool)
                .orElseThrow(() -> new IllegalArgumentException("--pool " + pool + " is not one of last, mean, all, none")));
        Store storage = parseStore(store);
        pooling.ifPresent(p -> result.add(RawActivations.at(layerSelection).hooks(hookSet).pool(p).store(storage)));
        Pool vectors = pooling.orElse(Pool.LAST);
        if (pca != null) {
            result.add(IncrementalPCA.at(layerSelection).components(positive("--pca", pca)).hooks(hookSet).input(vectors));
        }
        if (diffOfMeans) {
            result.add(DiffOfMeans.at(layerSelection).hooks(hookSet).pool(vectors == Pool.ALL ? Pool.LAST : vectors));
        }
        if (result.isEmpty()) {
            throw new IllegalArgumentException("--pool none with no --pca, --diff-of-means or --steer computes nothing");
        }
        return result;
    }

    private Optional<Callback> steering() {
        if (steer == null) {
            if (steerTensor != null || steerRow != null || steerLayers != null || ablate) {
                throw new IllegalArgumentException("--steer-tensor, --steer-row, --steer-layers and --ablate need --steer FILE");
            }
            return Optional.empty();
        }
        if (steerTensor == null || steerLayers == null) {
            throw new IllegalArgumentException("--steer needs --steer-tensor NAME and --steer-layers L1,L2");
        }
        SteeringVector vector = steerRow == null ? SteeringVector.fromFile(steer, steerTensor)
                : SteeringVector.fromFile(steer, steerTensor, steerRow);
        List<Integer> at = parseLayers(steerLayers).orElseThrow(() -> new IllegalArgumentException(
                "--steer-layers must list layers, not all"));
        Hook hook = Hook.fromWireName(steerHook.trim()).orElseThrow(() -> new IllegalArgumentException(
                "--steer-hook: unknown hook \"" + steerHook + "\"; use residual_pre, attn_out, mlp_out, residual_post"));
        SteerInBasis.Positions positions = switch (steerPositions.trim()) {
            case "all" -> SteerInBasis.Positions.ALL;
            case "last" -> SteerInBasis.Positions.LAST;
            default -> throw new IllegalArgumentException("--steer-positions " + steerPositions + " is not one of all, last");
        };
        SteerInBasis steering = SteerInBasis.at(Layers.of(at.stream().mapToInt(Integer::intValue).toArray()), vector)
                .alpha(alpha).hook(hook).positions(positions).normalize(steerNormalize);
        return Optional.of(ablate ? steering.ablate() : steering);
    }

    /** The options as given, for {@code manifest.json}. */
    JsonObject manifestOptions() {
        JsonObject o = new JsonObject();
        o.addProperty("input", input.toAbsolutePath().toString());
        o.addProperty("layers", layers);
        o.addProperty("hooks", hooks);
        o.addProperty("pool", pool);
        o.addProperty("pca", pca);
        o.addProperty("diff_of_means", diffOfMeans);
        o.addProperty("steer", steer == null ? null : steer.toAbsolutePath().toString());
        o.addProperty("steer_tensor", steerTensor);
        o.addProperty("steer_row", steerRow);
        o.addProperty("alpha", steer == null ? null : alpha);
        o.addProperty("steer_layers", steerLayers);
        o.addProperty("steer_hook", steer == null ? null : steerHook);
        o.addProperty("steer_positions", steer == null ? null : steerPositions);
        o.addProperty("steer_normalize", steerNormalize);
        o.addProperty("ablate", ablate);
        o.addProperty("final_norm", finalNorm);
        o.addProperty("format", format);
        o.addProperty("store", store);
        o.addProperty("microbatch", microbatch);
        o.addProperty("device", device);
        o.addProperty("device_memory", deviceMemory);
        o.addProperty("tokenizer", tokenizer == null ? null : tokenizer.toAbsolutePath().toString());
        o.addProperty("add_bos", addBos);
        o.addProperty("verify", verify);
        return o;
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

    static OutputFormat parseFormat(String text) {
        return switch (text.trim()) {
            case "arrow" -> OutputFormat.ARROW;
            case "safetensors" -> OutputFormat.SAFETENSORS;
            default -> throw new IllegalArgumentException("--format " + text + " is not one of arrow, safetensors");
        };
    }

    private static Store parseStore(String text) {
        try {
            return Store.fromWireName(text.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--store " + text + " is not one of f32, bf16, int8");
        }
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
