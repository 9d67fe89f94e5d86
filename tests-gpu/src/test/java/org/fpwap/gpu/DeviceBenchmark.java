package org.fpwap.gpu;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.fpwap.callback.Layers;
import org.fpwap.callbacks.Pool;
import org.fpwap.callbacks.RawActivations;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.Sample;
import org.fpwap.device.Devices;
import org.fpwap.device.EngineInfo;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.profile.LayerProfile;
import org.fpwap.profile.Profile;
import org.fpwap.profile.TransferCounts;
import org.fpwap.safetensors.DType;
import org.fpwap.sweep.Plan;
import org.fpwap.sweep.Sweep;

/**
 * A small self-contained end-to-end benchmark on one device, for {@code scripts/gpu-check} when the full
 * harness ({@code scripts/bench}) is not there: the device's FP32 matmul rate measured in the same process, then
 * a sweep of a generated BF16 Llama (default H=2048, 8 layers, 256 prompts × 128 tokens) reporting tok/s,
 * achieved TFLOP/s (2 × block parameters × tokens over the run's wall time and over its forward time) against that
 * rate, the weight-load bandwidth, and per layer and in total where the time went: upload bytes and seconds (weights
 * and residual rows, host to device), download bytes and seconds, forward seconds and TFLOP/s (see {@link #report}).
 * Writes {@code gpu-check-<device>-<time>.json} to the results directory and prints the per-layer table.
 *
 * <p>Options (all {@code key=value}): {@code device=cuda}, {@code out=fpwap-bench/results}, {@code hidden=2048},
 * {@code layers=8}, {@code prompts=256}, {@code tokens=128}, {@code matmul=4096}.
 */
public final class DeviceBenchmark {

    private DeviceBenchmark() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new java.util.HashMap<>(Map.of("device", "cuda", "out", "fpwap-bench/results", "hidden", "2048",
                "layers", "8", "prompts", "256", "tokens", "128", "matmul", "4096"));
        for (String a : args) {
            int eq = a.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("options are key=value, got " + a);
            }
            o.put(a.substring(0, eq).replaceFirst("^--", ""), a.substring(eq + 1));
        }
        Path report = run(o.get("device"), Path.of(o.get("out")), Integer.parseInt(o.get("hidden")), Integer.parseInt(o.get("layers")),
                Integer.parseInt(o.get("prompts")), Integer.parseInt(o.get("tokens")), Integer.parseInt(o.get("matmul")));
        System.out.println("wrote " + report);
    }

    /** Runs the benchmark and returns the report's path. */
    static Path run(String deviceName, Path outDir, int hidden, int layers, int prompts, int tokens, int matmulSize) throws Exception {
        Device device = Devices.resolve(deviceName);
        Devices.prepareComputeThread();
        EngineInfo engine = EngineInfo.current();
        double matmulFlops = matmulRate(device, matmulSize);
        System.out.printf("%s FP32 matmul %dx%d: %.2f TFLOP/s%n", Devices.describe(device), matmulSize, matmulSize, matmulFlops / 1e12);

        Path work = Files.createTempDirectory("fpwap-gpu-check-");
        try {
            int heads = Math.max(1, hidden / 128);
            int intermediate = Math.max(256, hidden * 11 / 4 / 256 * 256);
            Path model = work.resolve("model");
            RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).dims(hidden, heads, Math.max(1, heads / 4), 128)
                    .intermediate(intermediate).layers(layers).vocab(1024).maxPositions(Math.max(256, tokens)).dtype(DType.BF16).build(), model);
            long blockParams = (long) hidden * 128 * (heads + 2L * Math.max(1, heads / 4)) + (long) heads * 128 * hidden
                    + 3L * hidden * intermediate;
            Random random = new Random(1);
            List<Sample> data = new ArrayList<>();
            for (int i = 0; i < prompts; i++) {
                data.add(new Sample(i, random.ints(tokens, 0, 1024).toArray(), java.util.OptionalLong.empty()));
            }
            Plan plan;
            Profile profile;
            try (Sweep sweep = Sweep.builder().model(model).dataset(Dataset.of(data)).device(deviceName)
                    .callbacks(RawActivations.at(Layers.of(layers - 1)).pool(Pool.LAST)).workDir(work.resolve("w")).build()) {
                plan = sweep.preflight();
                System.out.print(plan.summary());
                profile = sweep.run().profile();
            }
            JsonObject r = report(profile, plan, engine, Devices.describe(device), blockParams, matmulFlops);
            r.addProperty("model", "generated BF16 llama H=" + hidden + " I=" + intermediate + " heads=" + heads + " layers=" + layers);
            r.addProperty("prompts", prompts);
            System.out.print(table(r));
            Files.createDirectories(outDir);
            Path file = outDir.resolve("gpu-check-" + Devices.describe(device).replace(':', '-') + "-"
                    + Instant.now().toString().replace(':', '-') + ".json");
            String json = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(r) + "\n";
            Files.writeString(file, json, StandardCharsets.UTF_8);
            System.out.print(json);
            return file;
        } finally {
            try (var files = Files.walk(work)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /**
     * The report: per layer and in total, upload bytes and seconds (weights and residual rows, host to device),
     * download bytes and seconds, forward seconds and the achieved FP32 TFLOP/s (2 × block parameters × tokens over
     * the forward time), next to the matmul rate measured in the same process.
     */
    static JsonObject report(Profile profile, Plan plan, EngineInfo engine, String device, long blockParams, double matmulFlops) {
        Profile.PhaseTotals phases = profile.totals();
        TransferCounts copies = profile.transferTotals();
        double flopsPerLayer = 2.0 * blockParams * profile.tokens();
        double flops = flopsPerLayer * profile.layers().size();
        JsonObject r = new JsonObject();
        r.addProperty("harness", "tests-gpu DeviceBenchmark (self-contained; scripts/bench absent)");
        r.addProperty("time", Instant.now().toString());
        r.addProperty("device", device);
        r.add("engine", engine.toJson());
        r.addProperty("tokens", profile.tokens());
        r.addProperty("microbatch_prompts", plan.microbatchSamples());
        r.addProperty("matmul_fp32_tflops", matmulFlops / 1e12);
        r.addProperty("wall_s", profile.wallSeconds());
        r.addProperty("tok_per_s", profile.tokensPerSecond());
        r.addProperty("forward_s", phases.forward());
        r.addProperty("achieved_tflops_wall", flops / profile.wallSeconds() / 1e12);
        r.addProperty("achieved_tflops_forward", phases.forward() > 0 ? flops / phases.forward() / 1e12 : 0);
        r.addProperty("fraction_of_matmul_rate_wall", flops / profile.wallSeconds() / matmulFlops);
        r.addProperty("fraction_of_matmul_rate_forward", phases.forward() > 0 ? flops / phases.forward() / matmulFlops : 0);
        addCopies(r, copies);
        r.addProperty("weight_bytes_read", profile.weightBytesRead());
        r.addProperty("weight_load_gb_per_s", phases.load() > 0 ? profile.weightBytesRead() / phases.load() / 1e9 : 0);
        r.addProperty("plan_peak_device_bytes", plan.peakDeviceBytes());
        JsonArray layers = new JsonArray();
        for (LayerProfile l : profile.layers()) {
            JsonObject j = new JsonObject();
            j.addProperty("layer", l.layer());
            j.addProperty("forward_s", l.forwardSeconds());
            j.addProperty("achieved_tflops_forward", l.forwardSeconds() > 0 ? flopsPerLayer / l.forwardSeconds() / 1e12 : 0);
            addCopies(j, profile.transfers(l.layer()));
            j.addProperty("load_s", l.loadSeconds());
            j.addProperty("load_wait_s", l.loadWaitSeconds());
            j.addProperty("io_s", l.ioSeconds());
            j.addProperty("callbacks_s", l.callbackSeconds());
            layers.add(j);
        }
        r.add("layers", layers);
        return r;
    }

    /** The profile's copy keys, plus the bandwidths they imply. */
    private static void addCopies(JsonObject o, TransferCounts t) {
        t.addTo(o);
        o.addProperty("upload_gb_per_s", t.uploadSeconds() > 0 ? t.uploadBytes() / t.uploadSeconds() / 1e9 : 0);
        o.addProperty("download_gb_per_s", t.downloadSeconds() > 0 ? t.downloadBytes() / t.downloadSeconds() / 1e9 : 0);
    }

    /** The report as a terminal table: one row per layer, then the total, with the matmul rate beside the achieved one. */
    static String table(JsonObject r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%s: FP32 matmul %.2f TFLOP/s (measured in this process)%n", r.get("device").getAsString(),
                r.get("matmul_fp32_tflops").getAsDouble()));
        String row = "%-6s %10s %9s %12s %9s %12s %9s %9s%n";
        sb.append(String.format(Locale.ROOT, row, "layer", "forward s", "TFLOP/s", "upload B", "upload s", "download B", "download s",
                "of matmul"));
        List<JsonObject> rows = new ArrayList<>();
        r.getAsJsonArray("layers").forEach(e -> rows.add(e.getAsJsonObject()));
        rows.add(r);
        for (JsonObject l : rows) {
            double tflops = l.get("achieved_tflops_forward").getAsDouble();
            sb.append(String.format(Locale.ROOT, row, l.has("layer") ? l.get("layer").getAsString() : "total",
                    String.format(Locale.ROOT, "%.4f", l.get("forward_s").getAsDouble()), String.format(Locale.ROOT, "%.3f", tflops),
                    String.format(Locale.ROOT, "%,d", l.get("upload_bytes").getAsLong()),
                    String.format(Locale.ROOT, "%.4f", l.get("upload_s").getAsDouble()),
                    String.format(Locale.ROOT, "%,d", l.get("download_bytes").getAsLong()),
                    String.format(Locale.ROOT, "%.4f", l.get("download_s").getAsDouble()),
                    String.format(Locale.ROOT, "x%.2f", tflops / r.get("matmul_fp32_tflops").getAsDouble())));
        }
        return sb.toString();
    }

    /** Best of five timed {@code n×n} FP32 matmuls after a warm-up; reading one value waits for the device. */
    static double matmulRate(Device device, int n) {
        try (NDManager m = NDManager.newBaseManager(device)) {
            NDArray a = m.randomNormal(new Shape(n, n));
            NDArray b = m.randomNormal(new Shape(n, n));
            try (NDArray warm = a.matMul(b); NDArray s = warm.sum()) {
                s.getFloat();
            }
            double best = Double.POSITIVE_INFINITY;
            for (int i = 0; i < 5; i++) {
                long t0 = System.nanoTime();
                try (NDArray c = a.matMul(b); NDArray s = c.sum()) {
                    s.getFloat();
                }
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
            }
            return 2.0 * n * n * n / best;
        }
    }
}
