package org.fpwap.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.fpwap.callback.Layers;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.Sample;
import org.fpwap.model.ModelFamily;
import org.fpwap.model.ModelSpec;
import org.fpwap.result.Result;
import org.fpwap.safetensors.DType;
import org.fpwap.sweep.ProgressListener;
import org.fpwap.sweep.Sweep;

/**
 * Throughput of every family against Llama at the same width, measured side by side in one process: each
 * family's model (same H, layers, heads, MLP width; the family's own features as {@code make-model} generates
 * them) runs the same prompts through a full sweep, rounds interleaved (Llama, F1, F2, …, Llama, F1, …) so drift
 * on the machine hits all alike; the table reports the median tok/s per family and its ratio to Llama's.
 *
 * <p>Usage: {@code FamilyBench [--quick] [--out DIR] [--families f1,f2,...]}; {@code scripts/bench families}.
 */
public final class FamilyBench {

    private FamilyBench() {}

    public static void main(String[] args) throws IOException {
        boolean quick = false;
        Path out = Path.of("fpwap-bench/results");
        List<ModelFamily> families = new ArrayList<>(List.of(ModelFamily.values()));
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--out" -> out = Path.of(args[++i]);
                case "--families" -> {
                    families.clear();
                    for (String f : args[++i].split(",")) {
                        families.add(ModelFamily.fromModelType(f).orElseThrow(() -> new IllegalArgumentException("unknown family " + f)));
                    }
                }
                default -> throw new IllegalArgumentException("usage: FamilyBench [--quick] [--out DIR] [--families f1,f2]");
            }
        }
        families.remove(ModelFamily.LLAMA);
        families.add(0, ModelFamily.LLAMA);
        int hidden = quick ? 256 : 512;
        int rounds = quick ? 2 : 3;
        int promptCount = quick ? 32 : 96;
        Map<ModelFamily, Path> models = new LinkedHashMap<>();
        for (ModelFamily f : families) {
            models.put(f, BenchModels.model(f, DType.BF16, hidden, 8, f == ModelFamily.GPT2 ? 8 : 4, hidden / 8,
                    hidden * 11 / 4, 4, 512, 512));
        }
        List<Sample> prompts = Prompts.random(promptCount, 32, 160, 512, 7);
        Map<ModelFamily, List<Double>> tokPerS = new LinkedHashMap<>();
        for (ModelFamily f : families) {
            sweep(models.get(f), prompts); // warm-up: JIT, libtorch, page cache
            tokPerS.put(f, new ArrayList<>());
        }
        for (int r = 0; r < rounds; r++) {
            for (ModelFamily f : families) {
                tokPerS.get(f).add(sweep(models.get(f), prompts));
            }
        }
        double llama = median(tokPerS.get(ModelFamily.LLAMA));
        JsonArray rows = new JsonArray();
        StringBuilder table = new StringBuilder(String.format(Locale.ROOT,
                "families at H=%d, 4 layers, 8 heads, %d prompts of 32-160 tokens, BF16 weights, %d interleaved rounds%n"
                        + "%-12s %14s %10s %16s %s%n", hidden, promptCount, rounds, "family", "tok/s (median)", "vs llama",
                "active params/L", "rounds"));
        for (ModelFamily f : families) {
            ModelSpec spec = BenchModels.spec(models.get(f));
            double median = median(tokPerS.get(f));
            table.append(String.format(Locale.ROOT, "%-12s %14.0f %9.2fx %16d %s%n", f.modelType(), median, median / llama,
                    spec.activeParametersPerLayer(), tokPerS.get(f).stream().map(v -> String.format(Locale.ROOT, "%.0f", v)).toList()));
            JsonObject row = new JsonObject();
            row.addProperty("family", f.modelType());
            row.addProperty("tok_per_s_median", median);
            row.addProperty("ratio_vs_llama", median / llama);
            row.addProperty("active_parameters_per_layer", spec.activeParametersPerLayer());
            JsonArray all = new JsonArray();
            tokPerS.get(f).forEach(all::add);
            row.add("tok_per_s_rounds", all);
            rows.add(row);
        }
        System.out.print(table);
        Files.createDirectories(out);
        JsonObject json = new JsonObject();
        json.addProperty("hidden", hidden);
        json.add("families", rows);
        Files.writeString(out.resolve("families-latest.json"), new GsonBuilder().setPrettyPrinting().create().toJson(json) + "\n",
                StandardCharsets.UTF_8);
        Files.writeString(out.resolve("families-latest.txt"), table.toString(), StandardCharsets.UTF_8);
    }

    private static double sweep(Path dir, List<Sample> prompts) {
        try (Sweep sweep = Sweep.builder().model(dir).dataset(Dataset.of(prompts)).finalNorm(false)
                .progress(ProgressListener.NONE).callbacks(ScalingProbe.noop(Layers.of(-1))).build()) {
            long t0 = System.nanoTime();
            Result r = sweep.run();
            double wall = (System.nanoTime() - t0) / 1e9;
            return r.profile().tokens() / wall;
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
