package org.fpwap.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import org.fpwap.callback.Layers;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.Sample;
import org.fpwap.device.Devices;
import org.fpwap.safetensors.DType;
import org.fpwap.model.ModelFamily;
import org.fpwap.model.ModelSpec;
import org.fpwap.profile.CpuTimes;
import org.fpwap.profile.Profile;
import org.fpwap.result.Result;
import org.fpwap.sweep.Sweep;

/**
 * The microbatch row ({@code scripts/bench microbatch}): the automatic microbatch (chosen by preflight's measured
 * throughput) against fixed sizes of {4, 8, 16, 32, 64} prompts, same prompts, same JVM, on BF16 Llamas of width
 * 1024 and 2048 (4 layers, 16/4 heads at 2048, 8/2 at 1024, head_dim 128, intermediate 2.75 H), 256 prompts of
 * 64–191 tokens. Prints per run: tok/s, wall, block-forward time, process user/system CPU time; then automatic vs
 * the best fixed size, and the automatic run's block-forward GFLOP/s against DJL's FP32 GEMM rate at the chosen
 * microbatch's rows. Slow (minutes per width on 2 cores), hence opt-in.
 *
 * <p>Usage: {@code MicrobatchBench [--widths 1024,2048] [--prompts 256] [--sizes 4,8,16,32,64] [--rounds 1] [--out DIR]}
 */
public final class MicrobatchBench {

    private MicrobatchBench() {}

    public static void main(String[] args) throws IOException {
        Devices.prepareComputeThread();
        List<Integer> widths = List.of(1024, 2048);
        List<Integer> sizes = List.of(4, 8, 16, 32, 64);
        int n = 256;
        int rounds = 1;
        Path out = Path.of("fpwap-bench/results");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--widths" -> widths = ints(args[++i]);
                case "--sizes" -> sizes = ints(args[++i]);
                case "--prompts" -> n = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; usage: MicrobatchBench [--widths 1024,2048] [--prompts 256] [--sizes 4,8,16,32,64] [--rounds 1] [--out DIR]");
            }
        }
        JsonArray all = new JsonArray();
        List<String> lines = new ArrayList<>();
        lines.add("load average at start: " + loadAverage());
        for (int hidden : widths) {
            int heads = hidden / 128;
            Path dir = BenchModels.model(ModelFamily.LLAMA, DType.BF16, hidden, heads, heads / 4, 128, hidden * 11 / 4, 4, 4096, 256);
            ModelSpec spec = BenchModels.spec(dir);
            List<Sample> prompts = Prompts.random(n, 64, 191, spec.vocabSize(), 29);
            long tokens = Prompts.tokens(prompts);
            double flops = BenchModels.forwardFlops(spec, spec.numLayers(), tokens, Prompts.squaredLengths(prompts));
            // One small sweep first: engine start-up and first-touch costs must not land on whichever run comes first.
            sweep(dir, prompts.subList(0, 8), 8);
            JsonObject width = new JsonObject();
            width.addProperty("hidden", hidden);
            width.addProperty("model", String.format(Locale.ROOT, "llama bf16 H=%d, %d layers, I=%d, %d/%d heads", hidden,
                    spec.numLayers(), spec.intermediateSize(), spec.numHeads(), spec.numKvHeads()));
            width.addProperty("prompts", n);
            width.addProperty("tokens", tokens);
            lines.add(String.format(Locale.ROOT, "%s: %d prompts, %,d tokens%s", width.get("model").getAsString(), n, tokens,
                    rounds > 1 ? String.format(Locale.ROOT, "; median of %d rounds in alternating order", rounds) : ""));
            lines.add(String.format(Locale.ROOT, "  %-10s %9s %8s %9s %8s %8s %s", "microbatch", "tok/s", "wall s", "forward s",
                    "user s", "sys s", "choice"));
            JsonArray runs = new JsonArray();
            double bestFixed = 0;
            int bestSize = 0;
            JsonObject auto = null;
            List<Integer> order = new ArrayList<>();
            order.add(0);
            order.addAll(sizes);
            // Rounds alternate the order (automatic first, then last, ...), so drift over the bench and whatever the
            // first run after the warm-up pays land on every size alike; each size reports its median round.
            Map<Integer, List<JsonObject>> bySize = new LinkedHashMap<>();
            for (int round = 0; round < rounds; round++) {
                List<Integer> thisRound = new ArrayList<>(order);
                if (round % 2 == 1) {
                    Collections.reverse(thisRound);
                }
                for (int size : thisRound) {
                    JsonObject run = sweep(dir, prompts, size);
                    run.addProperty("round", round);
                    runs.add(run);
                    bySize.computeIfAbsent(size, k -> new ArrayList<>()).add(run);
                    if (rounds > 1) {
                        System.out.printf(Locale.ROOT, "  round %d %-10s %9.0f tok/s%n", round, size == 0 ? "automatic" : size,
                                run.get("tok_per_s").getAsDouble());
                    }
                }
            }
            for (int size : order) {
                List<JsonObject> sorted = new ArrayList<>(bySize.get(size));
                sorted.sort(Comparator.comparingDouble(r -> r.get("tok_per_s").getAsDouble()));
                JsonObject run = sorted.get((sorted.size() - 1) / 2);
                double tps = run.get("tok_per_s").getAsDouble();
                if (size == 0) {
                    auto = run;
                } else if (tps > bestFixed) {
                    bestFixed = tps;
                    bestSize = size;
                }
                lines.add(String.format(Locale.ROOT, "  %-10s %9.0f %8.1f %9.1f %8.1f %8.1f %s", size == 0 ? "automatic" : Integer.toString(size),
                        tps, run.get("wall_s").getAsDouble(), run.get("forward_s").getAsDouble(), run.get("user_s").getAsDouble(),
                        run.get("sys_s").getAsDouble(), size == 0 ? run.getAsJsonObject("microbatch").get("summary").getAsString() : ""));
                System.out.println(lines.getLast());
            }
            double ratio = auto.get("tok_per_s").getAsDouble() / bestFixed;
            int chosenRows = auto.getAsJsonObject("microbatch").get("chosen_samples").getAsInt()
                    * auto.getAsJsonObject("microbatch").get("width").getAsInt();
            JsonObject gemm = EndToEnd.gemmRate(spec, Math.max(1, chosenRows));
            double forwardRate = flops / auto.get("forward_s").getAsDouble() / 1e9;
            double ceiling = gemm.get("GFLOPs").getAsDouble();
            lines.add(String.format(Locale.ROOT, "  automatic / best fixed (%d): %.2fx (target >= 0.95x: %s)", bestSize, ratio,
                    ratio >= 0.95 ? "met" : "NOT met"));
            lines.add(String.format(Locale.ROOT, "  automatic block forward %.1f GFLOP/s vs DJL FP32 GEMM %.1f GFLOP/s best (median %.1f) at M=%d: "
                    + "%.0f%% (target >= 80%% at H=2048)", forwardRate, ceiling, gemm.get("GFLOPs_median").getAsDouble(), chosenRows,
                    100 * forwardRate / ceiling));
            System.out.println(lines.get(lines.size() - 2));
            System.out.println(lines.getLast());
            width.add("runs", runs);
            width.addProperty("auto_over_best_fixed", ratio);
            width.addProperty("best_fixed", bestSize);
            width.addProperty("forward_GFLOPs_auto", forwardRate);
            width.add("djl_gemm", gemm);
            all.add(width);
        }
        lines.add("load average at end: " + loadAverage());
        Files.createDirectories(out);
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmm"));
        JsonObject json = new JsonObject();
        json.add("widths", all);
        Files.writeString(out.resolve("microbatch-" + stamp + ".json"), new GsonBuilder().setPrettyPrinting().create().toJson(json) + "\n");
        Files.writeString(out.resolve("microbatch-" + stamp + ".txt"), String.join("\n", lines) + "\n");
        System.out.println(String.join("\n", lines));
    }

    private static JsonObject sweep(Path dir, List<Sample> prompts, int microbatch) {
        Sweep.Builder builder = Sweep.builder().model(dir).dataset(Dataset.of(prompts)).finalNorm(false)
                .callbacks(ScalingProbe.noop(Layers.of(-1)));
        if (microbatch > 0) {
            builder.microbatch(microbatch);
        }
        try (Sweep sweep = builder.build()) {
            CpuTimes cpu0 = CpuTimes.ofProcess();
            long t0 = System.nanoTime();
            Result r = sweep.run();
            double wall = (System.nanoTime() - t0) / 1e9;
            CpuTimes cpu = CpuTimes.ofProcess().minus(cpu0);
            Profile p = r.profile();
            JsonObject j = new JsonObject();
            j.addProperty("microbatch_requested", microbatch == 0 ? "automatic" : Integer.toString(microbatch));
            j.addProperty("wall_s", wall);
            j.addProperty("tok_per_s", p.tokens() / wall);
            j.addProperty("forward_s", p.totals().forward());
            j.addProperty("user_s", cpu.userSeconds());
            j.addProperty("sys_s", cpu.systemSeconds());
            JsonObject mb = p.microbatch().toJson();
            mb.addProperty("summary", p.microbatch().summary());
            j.add("microbatch", mb);
            return j;
        }
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException | UncheckedIOException e) {
            return "unknown";
        }
    }

    private static List<Integer> ints(String csv) {
        return java.util.Arrays.stream(csv.split(",")).map(String::trim).map(Integer::parseInt).toList();
    }
}
