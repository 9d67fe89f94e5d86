package org.fpwap.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.fpwap.model.ModelConfigReader;
import org.fpwap.model.ModelFamily;
import org.fpwap.model.ModelSpec;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.safetensors.DType;

/**
 * Seeded random models for the benchmarks, generated once into a cache directory (never into the
 * repository): {@code $FPWAP_BENCH_MODELS}, else {@code /tmp/fpwap-bench-models}. The same key always
 * means the same bytes (seeded), so a cached model is reused as is.
 */
public final class BenchModels {

    private BenchModels() {}

    /** The cache root. */
    public static Path root() {
        String env = System.getenv("FPWAP_BENCH_MODELS");
        return Path.of(env != null && !env.isBlank() ? env : "/tmp/fpwap-bench-models");
    }

    /**
     * A Llama-like (or other family) model with the given shape, generated on first use.
     *
     * @param kvHeads key/value heads (ignored for GPT-2, which has none separate)
     */
    public static Path model(ModelFamily family, DType dtype, int hidden, int heads, int kvHeads, int headDim,
            int intermediate, int layers, int vocab, int maxPositions) {
        String key = String.format("%s-%s-h%d-a%d-kv%d-d%d-i%d-l%d-v%d-p%d", family.name().toLowerCase(), dtype.name().toLowerCase(),
                hidden, heads, kvHeads, headDim, intermediate, layers, vocab, maxPositions);
        Path dir = root().resolve(key);
        Path done = dir.resolve(".complete");
        if (Files.exists(done)) {
            return dir;
        }
        synchronized (BenchModels.class) {
            try {
                if (Files.exists(dir)) {
                    delete(dir);
                }
                RandomModelConfig config = RandomModelConfig.builder(family)
                        .dims(hidden, heads, family == ModelFamily.GPT2 ? heads : kvHeads, headDim)
                        .intermediate(intermediate).layers(layers).vocab(vocab).maxPositions(maxPositions)
                        .dtype(dtype).seed(1234).build();
                RandomModelWriter.write(config, dir);
                Files.writeString(done, key + "\n");
                return dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** The spec of a generated model. */
    public static ModelSpec spec(Path dir) {
        return ModelConfigReader.read(dir);
    }

    /** Forward FLOPs of {@code layers} blocks over microbatches of {@code B} samples of {@code T} slots. */
    public static double forwardFlops(ModelSpec spec, int layers, long realTokens, double sumSquaredLengths) {
        // 2 × params × tokens for every projection (norm/bias parameters are a negligible rounding error),
        // plus attention: QKᵀ and AV, each 2 × T² × headDim per head (full T×T, as the kernels compute it).
        double projections = 2.0 * spec.activeParametersPerLayer() * realTokens;
        double attention = 4.0 * sumSquaredLengths * spec.numHeads() * spec.headDim();
        return layers * (projections + attention);
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
