package org.fpwap.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.fpwap.model.ModelFamily;
import org.fpwap.model.ModelSpec;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.safetensors.DType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fpwap make-model}: writes a seeded random HF-format model for tests, benchmarks and demos. */
@Command(name = "make-model", mixinStandardHelpOptions = true,
        description = "Write a seeded random Hugging Face-format model (config.json + safetensors).")
final class MakeModelCommand implements Callable<Integer> {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(names = "--family", required = true, description = "A supported model_type: llama, mistral, qwen2, gemma, gpt2, qwen3, olmo2, mixtral, qwen2_moe, deepseek_v2, ...")
    String family;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory to write the model into.")
    Path out;

    @Option(names = "--hidden", defaultValue = "64", description = "Hidden size H (default: ${DEFAULT-VALUE}).")
    int hidden;

    @Option(names = "--layers", defaultValue = "2", description = "Number of blocks (default: ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--heads", defaultValue = "4", description = "Query heads (default: ${DEFAULT-VALUE}).")
    int heads;

    @Option(names = "--kv-heads", description = "Key/value heads (default: heads/2, or heads for gpt2).")
    Integer kvHeads;

    @Option(names = "--head-dim", description = "Head width (default: hidden/heads).")
    Integer headDim;

    @Option(names = "--intermediate", description = "MLP width (default: 4 × hidden).")
    Integer intermediate;

    @Option(names = "--vocab", defaultValue = "128", description = "Vocabulary size (default: ${DEFAULT-VALUE}).")
    int vocab;

    @Option(names = "--max-positions", defaultValue = "256", description = "Position limit (default: ${DEFAULT-VALUE}).")
    int maxPositions;

    @Option(names = "--dtype", defaultValue = "f32", description = "f32, bf16 or f16 (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--shards", defaultValue = "1", description = "Number of safetensors files (default: ${DEFAULT-VALUE}).")
    int shards;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--untied", description = "Write a separate lm_head.weight.")
    boolean untied;

    @Option(names = "--sliding-window", description = "Mistral sliding window.")
    Integer slidingWindow;

    @Option(names = "--rope-scaling", paramLabel = "JSON", description = "A rope_scaling JSON object to write into config.json.")
    String ropeScaling;

    @Option(names = "--gpt2-prefix", description = "Name GPT-2 tensors with the transformer. prefix.")
    boolean gpt2Prefix;

    @Option(names = "--debug", description = "Print stack traces on errors.")
    boolean debug;

    @Override
    public Integer call() {
        ModelSpec written = RandomModelWriter.write(config(), out);
        spec.commandLine().getOut().printf("wrote a random %s model (H=%d, %d layers, %,d parameters per layer, %s) to %s%n",
                written.family().modelType(), written.hiddenSize(), written.numLayers(), written.parametersPerLayer(),
                dtype.toUpperCase(Locale.ROOT), out);
        spec.commandLine().getOut().flush();
        return 0;
    }

    RandomModelConfig config() {
        ModelFamily f = ModelFamily.fromModelType(family).orElseThrow(() -> new IllegalArgumentException(
                "--family " + family + " is not one of " + ModelFamily.supportedList()));
        DType d = switch (dtype.toLowerCase(Locale.ROOT)) {
            case "f32" -> DType.F32;
            case "bf16" -> DType.BF16;
            case "f16" -> DType.F16;
            default -> throw new IllegalArgumentException("--dtype " + dtype + " is not one of f32, bf16, f16");
        };
        if (hidden <= 0 || heads <= 0 || hidden % heads != 0 && headDim == null) {
            throw new IllegalArgumentException("--hidden " + hidden + " must be a positive multiple of --heads " + heads
                    + " (or give --head-dim)");
        }
        int kv = kvHeads != null ? kvHeads : f == ModelFamily.GPT2 ? heads : Math.max(1, heads / 2);
        RandomModelConfig.Builder b = RandomModelConfig.builder(f)
                .dims(hidden, heads, kv, headDim != null ? headDim : hidden / heads)
                .layers(layers)
                .intermediate(intermediate != null ? intermediate : 4 * hidden)
                .vocab(vocab)
                .maxPositions(maxPositions)
                .dtype(d)
                .shards(shards)
                .seed(seed)
                .gpt2Prefix(gpt2Prefix)
                .ropeScaling(ropeScaling);
        if (untied) {
            b.tiedEmbeddings(false);
        }
        if (slidingWindow != null) {
            b.slidingWindow(slidingWindow);
        }
        return b.build();
    }
}
