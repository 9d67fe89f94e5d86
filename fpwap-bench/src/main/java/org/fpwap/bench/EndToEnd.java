package org.fpwap.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.fpwap.callback.Layers;
import org.fpwap.callbacks.Pool;
import org.fpwap.callbacks.RawActivations;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.Sample;
import org.fpwap.device.Devices;
import org.fpwap.forward.Hook;
import org.fpwap.model.ModelFamily;
import org.fpwap.model.ModelSpec;
import org.fpwap.oracle.JlamaOracle;
import org.fpwap.profile.LayerProfile;
import org.fpwap.profile.Profile;
import org.fpwap.profile.ProfileRecorder;
import org.fpwap.result.ActivationTable;
import org.fpwap.result.Result;
import org.fpwap.safetensors.Checkpoint;
import org.fpwap.safetensors.DType;
import org.fpwap.sweep.ProgressEvent;
import org.fpwap.sweep.ProgressListener;
import org.fpwap.sweep.Sweep;
import org.fpwap.weights.LayerLayout;
import org.fpwap.weights.WeightLoader;

/**
 * The end-to-end comparison harness behind {@code scripts/bench}: one process, one table, every row
 * from the same run. Rows: (1) streaming vs the naive cpu_offload schedule, warm and with evicted pages;
 * (2) vs Jlama on the same F32 model and prompts; (3) vs DJL's GEMM rate at the model's shapes;
 * (4) profile + progress overhead; (5) scaling of tok/s and peak RSS with dataset size and depth
 * (child JVMs); (6) a mixture-of-experts model vs a dense one of the same active parameters ({@link MoeVersusDense}).
 *
 * <p>Usage: {@code EndToEnd [--quick] [--out DIR] [--skip-jlama] [--skip-scaling] [--only-store] [--command TEXT]}
 */
public final class EndToEnd {

    /** One benchmark model's shape. */
    record Shape3(ModelFamily family, DType dtype, int hidden, int heads, int kvHeads, int headDim, int intermediate, int layers, int vocab) {
        Path dir() {
            return BenchModels.model(family, dtype, hidden, heads, kvHeads, headDim, intermediate, layers, vocab, 512);
        }

        Shape3 depth(int l) {
            return new Shape3(family, dtype, hidden, heads, kvHeads, headDim, intermediate, l, vocab);
        }

        String describe() {
            return String.format(Locale.ROOT, "%s %s H=%d L=%d heads=%d/%d d=%d I=%d", family.name().toLowerCase(Locale.ROOT),
                    dtype, hidden, layers, heads, kvHeads, headDim, intermediate);
        }
    }

    /** The sizes of one harness configuration. */
    record Config(String name, Shape3 naiveModel, int naivePrompts, int naiveMin, int naiveMax, int naiveMicrobatch,
            Shape3 f32Model, int f32Prompts, int f32Min, int f32Max, int f32Microbatch, int overheadPairs,
            Shape3 scaleModel, int scaleN, int scaleMin, int scaleMax, int scaleMicrobatch) {}

    static final Config QUICK = new Config("quick",
            new Shape3(ModelFamily.LLAMA, DType.BF16, 256, 4, 1, 64, 704, 4, 512), 32, 8, 24, 2,
            new Shape3(ModelFamily.LLAMA, DType.F32, 256, 4, 1, 64, 704, 2, 512), 16, 16, 32, 8, 2,
            new Shape3(ModelFamily.LLAMA, DType.BF16, 128, 2, 1, 64, 352, 2, 512), 32, 8, 32, 8);

    static final Config DEFAULT = new Config("default",
            new Shape3(ModelFamily.LLAMA, DType.BF16, 1024, 16, 4, 64, 2816, 8, 1024), 64, 16, 48, 4,
            new Shape3(ModelFamily.LLAMA, DType.F32, 1024, 16, 4, 64, 2816, 4, 1024), 64, 32, 64, 16, 4,
            new Shape3(ModelFamily.LLAMA, DType.BF16, 512, 8, 2, 64, 1408, 4, 1024), 128, 8, 64, 16);

    private final Config config;
    private final JsonObject json = new JsonObject();
    private final List<String[]> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final boolean skipJlama;
    private final boolean skipScaling;
    private boolean onlyStore;

    private EndToEnd(Config config, boolean skipJlama, boolean skipScaling) {
        this.config = config;
        this.skipJlama = skipJlama;
        this.skipScaling = skipScaling;
    }

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        boolean skipJlama = false;
        boolean skipScaling = false;
        boolean onlyStore = false;
        Path out = Path.of("fpwap-bench/results");
        String command = "scripts/bench";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--skip-jlama" -> skipJlama = true;
                case "--skip-scaling" -> skipScaling = true;
                case "--only-store" -> onlyStore = true;
                case "--out" -> out = Path.of(args[++i]);
                case "--command" -> command = args[++i];
                default -> {
                    System.err.println("usage: EndToEnd [--quick] [--out DIR] [--skip-jlama] [--skip-scaling] [--only-store] [--command TEXT]");
                    System.exit(2);
                }
            }
        }
        EndToEnd harness = new EndToEnd(quick ? QUICK : DEFAULT, skipJlama, skipScaling);
        harness.onlyStore = onlyStore;
        harness.run(out, command);
    }

    private void run(Path outDir, String command) throws Exception {
        ZonedDateTime start = ZonedDateTime.now();
        JsonObject machine = machine();
        json.addProperty("command", command);
        json.addProperty("config", config.name());
        json.addProperty("date", start.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        json.add("machine", machine);
        Devices.prepareComputeThread();
        progress("generating models in " + BenchModels.root() + " (cached between runs)");
        if (!onlyStore) {
            Path naiveDir = config.naiveModel().dir();
            Path f32Dir = config.f32Model().dir();
            streamingVsNaive(naiveDir);
            Profile f32Profile = versusJlamaAndCeiling(f32Dir);
            overhead(f32Dir, f32Profile);
            rows.add(MoeVersusDense.run(config, json, notes));
            if (!skipScaling) {
                scaling();
            }
        }
        StoreThroughput.Size storeSize = config == QUICK ? StoreThroughput.QUICK : StoreThroughput.DEFAULT;
        progress("row 7: activation store write throughput (f32, bf16, int8)");
        json.add("store_throughput", StoreThroughput.report(storeSize,
                StoreThroughput.measure(storeSize), rows));
        json.addProperty("load_avg_end", loadAverage());
        json.addProperty("total_s", (System.nanoTime() - t0) / 1e9);

        String table = table(command, machine, start);
        System.out.print(table);
        Files.createDirectories(outDir);
        String stamp = start.format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmm"));
        Path jsonFile = outDir.resolve("e2e-" + config.name() + "-" + stamp + ".json");
        Path txtFile = outDir.resolve("e2e-" + config.name() + "-" + stamp + ".txt");
        Files.writeString(jsonFile, new GsonBuilder().setPrettyPrinting().create().toJson(json) + "\n");
        Files.writeString(txtFile, table);
        System.out.println("wrote " + jsonFile + " and " + txtFile);
    }

    private final long t0 = System.nanoTime();

    private static void progress(String s) {
        System.err.printf(Locale.ROOT, "[bench %6.1fs] %s%n", (System.nanoTime() - T0) / 1e9, s);
    }

    private static final long T0 = System.nanoTime();

    // ---------------------------------------------------------------- row 1: streaming vs naive

    private void streamingVsNaive(Path dir) {
        Config c = config;
        ModelSpec spec = BenchModels.spec(dir);
        List<Sample> prompts = Prompts.random(c.naivePrompts(), c.naiveMin(), c.naiveMax(), spec.vocabSize(), 11);
        List<List<int[]>> mbs = Prompts.microbatches(prompts, c.naiveMicrobatch());
        long tokens = Prompts.tokens(prompts);
        List<Path> files;
        try (Checkpoint ck = Checkpoint.open(dir)) {
            files = ck.files();
        }
        JsonObject row = new JsonObject();
        row.addProperty("model", c.naiveModel().describe());
        row.addProperty("model_dir", dir.toString());
        row.addProperty("prompts", prompts.size());
        row.addProperty("tokens", tokens);
        row.addProperty("microbatch", c.naiveMicrobatch());
        row.addProperty("microbatches", mbs.size());

        progress("row 1: warm-up sweep (JIT, libtorch, page cache)");
        streaming(dir, prompts, c.naiveMicrobatch());
        row.add("eviction_check", evictionCheck(dir, spec, files));

        progress("row 1a: streaming, warm page cache");
        JsonObject sw = streaming(dir, prompts, c.naiveMicrobatch());
        progress("row 1a: naive, warm page cache");
        NaiveSchedule.Outcome nw = NaiveSchedule.run(dir, spec, mbs, false);
        progress("row 1b: streaming, pages evicted before the run");
        PageCache.evict(files);
        double residentBefore = PageCache.residentFraction(files);
        JsonObject se = streaming(dir, prompts, c.naiveMicrobatch());
        se.addProperty("resident_before_run", residentBefore);
        progress("row 1b: naive, pages evicted before every layer load");
        PageCache.evict(files);
        NaiveSchedule.Outcome ne = NaiveSchedule.run(dir, spec, mbs, true);
        row.add("streaming_warm", sw);
        row.add("naive_warm", naive(nw));
        row.add("streaming_evicted", se);
        row.add("naive_evicted", naive(ne));
        json.add("streaming_vs_naive", row);

        String model = c.naiveModel().describe();
        String n = prompts.size() + " (" + mbs.size() + " mb of " + c.naiveMicrobatch() + ")";
        for (boolean evicted : new boolean[] {false, true}) {
            JsonObject s = evicted ? se : sw;
            NaiveSchedule.Outcome nv = evicted ? ne : nw;
            double ratio = nv.seconds() / s.get("wall_s").getAsDouble();
            long sBytes = s.get("weight_bytes_read").getAsLong();
            rows.add(new String[] {evicted ? "1b" : "1a",
                    "streaming vs naive (cpu_offload schedule), " + (evicted ? "pages evicted" : "warm page cache"),
                    model, n, Long.toString(tokens),
                    String.format(Locale.ROOT, "%.2f s, %s read", s.get("wall_s").getAsDouble(), mb(sBytes)),
                    String.format(Locale.ROOT, "%.2f s, %s read", nv.seconds(), mb(nv.weightBytesRead())),
                    String.format(Locale.ROOT, "%.2fx faster; bytes %.0fx fewer", ratio, (double) nv.weightBytesRead() / sBytes),
                    evicted ? ">= 4x; 1x vs " + mbs.size() + "x bytes" : "(none)",
                    evicted ? verdict(ratio >= 4 && nv.weightBytesRead() == (long) mbs.size() * sBytes) : "-"});
        }
    }

    private static JsonObject naive(NaiveSchedule.Outcome o) {
        JsonObject j = new JsonObject();
        j.addProperty("wall_s", o.seconds());
        j.addProperty("evict_calls_s_excluded", o.evictSeconds());
        j.addProperty("load_s", o.loadSeconds());
        j.addProperty("forward_s", o.forwardSeconds());
        j.addProperty("weight_bytes_read", o.weightBytesRead());
        j.addProperty("layer_loads", o.layerLoads());
        j.addProperty("tokens", o.realTokens());
        j.addProperty("tok_per_s", o.realTokens() / o.seconds());
        return j;
    }

    /** Loads every layer (warm), then evicts and checks with mincore, and times a cold vs warm stage of layer 0. */
    private JsonObject evictionCheck(Path dir, ModelSpec spec, List<Path> files) {
        JsonObject j = new JsonObject();
        try (Checkpoint ck = Checkpoint.open(dir); Arena arena = Arena.ofConfined()) {
            WeightLoader loader = new WeightLoader(ck, spec);
            LayerLayout layout = loader.layout(0);
            MemorySegment staging = arena.allocate(layout.bytes(), LayerLayout.ALIGNMENT);
            for (int l = 0; l < spec.numLayers(); l++) {
                loader.stage(loader.layout(l), staging);
            }
            j.addProperty("resident_after_reading_all", PageCache.residentFraction(files));
            long w0 = System.nanoTime();
            long bytes = loader.stage(layout, staging);
            double warm = (System.nanoTime() - w0) / 1e9;
            for (var ref : loader.names().layerTensors(0)) {
                PageCache.unmapPages(ck.data(ref.name()));
            }
            for (String name : ck.tensorNames()) {
                PageCache.unmapPages(ck.data(name));
            }
            PageCache.evict(files);
            double after = PageCache.residentFraction(files);
            long c0 = System.nanoTime();
            loader.stage(layout, staging);
            double cold = (System.nanoTime() - c0) / 1e9;
            j.addProperty("resident_after_evict", after);
            j.addProperty("layer_bytes", bytes);
            j.addProperty("stage_layer0_warm_s", warm);
            j.addProperty("stage_layer0_cold_s", cold);
            j.addProperty("cold_read_GBps", bytes / cold / 1e9);
            j.addProperty("warm_stage_GBps", bytes / warm / 1e9);
            notes.add(String.format(Locale.ROOT,
                    "eviction check: %.0f%% of the model's pages resident after reading it, %.1f%% after madvise+fadvise(DONTNEED) "
                            + "(mincore); staging layer 0 (%s) took %.1f ms cold vs %.1f ms warm (%.2f GB/s from disk, %.2f GB/s cached)",
                    100 * j.get("resident_after_reading_all").getAsDouble(), 100 * after, mb(bytes), cold * 1e3, warm * 1e3,
                    bytes / cold / 1e9, bytes / warm / 1e9));
        }
        return j;
    }

    /** One streaming sweep (for other rows' classes). */
    static JsonObject sweepOnce(Path dir, List<Sample> prompts, int microbatch) {
        return streaming(dir, prompts, microbatch);
    }

    /** One streaming sweep with a no-op READ callback at the last layer; wall = {@code run()}. */
    private static JsonObject streaming(Path dir, List<Sample> prompts, int microbatch) {
        return sweep(dir, prompts, microbatch, ProgressListener.NONE);
    }

    private static JsonObject sweep(Path dir, List<Sample> prompts, int microbatch, ProgressListener listener) {
        try (Sweep sweep = Sweep.builder().model(dir).dataset(Dataset.of(prompts)).microbatch(microbatch).finalNorm(false)
                .progress(listener).callbacks(ScalingProbe.noop(Layers.of(-1))).build()) {
            long t0 = System.nanoTime();
            Result r = sweep.run();
            double wall = (System.nanoTime() - t0) / 1e9;
            return profileJson(r.profile(), wall);
        }
    }

    private static JsonObject profileJson(Profile p, double wall) {
        JsonObject j = new JsonObject();
        j.addProperty("wall_s", wall);
        j.addProperty("tokens", p.tokens());
        j.addProperty("tok_per_s", p.tokens() / wall);
        j.addProperty("weight_bytes_read", p.weightBytesRead());
        double load = 0;
        double wait = 0;
        double fwd = 0;
        double cb = 0;
        double io = 0;
        for (LayerProfile l : p.layers()) {
            load += l.loadSeconds();
            wait += l.loadWaitSeconds();
            fwd += l.forwardSeconds();
            cb += l.callbackSeconds();
            io += l.ioSeconds();
        }
        j.addProperty("embed_s", p.embedSeconds());
        j.addProperty("load_s", load);
        j.addProperty("load_wait_s", wait);
        j.addProperty("forward_s", fwd);
        j.addProperty("callbacks_s", cb);
        j.addProperty("io_s", io);
        j.addProperty("profile_wall_s", p.wallSeconds());
        return j;
    }

    // ---------------------------------------------------------------- rows 2 and 3: Jlama, GEMM ceiling

    private Profile versusJlamaAndCeiling(Path dir) {
        Config c = config;
        ModelSpec spec = BenchModels.spec(dir);
        List<Sample> prompts = Prompts.random(c.f32Prompts(), c.f32Min(), c.f32Max(), spec.vocabSize(), 13);
        long tokens = Prompts.tokens(prompts);
        String model = c.f32Model().describe();
        JsonObject row = new JsonObject();
        row.addProperty("model", model);
        row.addProperty("prompts", prompts.size());
        row.addProperty("tokens", tokens);
        row.addProperty("microbatch", c.f32Microbatch());

        progress("row 2: warm-up sweep");
        sweepAll(dir, prompts.subList(0, Math.min(8, prompts.size())), c.f32Microbatch(), null);
        progress("row 2: ours, every layer's residual_post for every token (RawActivations pool=all)");
        float[][][][] ours = new float[3][][][];
        JsonObject o = sweepAll(dir, prompts, c.f32Microbatch(), ours);
        row.add("ours", o);

        double oursTps = o.get("tok_per_s").getAsDouble();
        if (!skipJlama) {
            progress("row 2: Jlama " + "(pure-Java Panama kernels), same prompts, every layer's hidden state");
            long l0 = System.nanoTime();
            try (JlamaOracle jlama = JlamaOracle.load(dir)) {
                double loadS = (System.nanoTime() - l0) / 1e9;
                for (int i = 0; i < Math.min(2, prompts.size()); i++) {
                    jlama.hiddenStates(prompts.get(i).tokens()); // JIT warm-up
                }
                long j0 = System.nanoTime();
                double maxRel = 0;
                for (int i = 0; i < prompts.size(); i++) {
                    float[][][] h = jlama.hiddenStates(prompts.get(i).tokens());
                    if (i < ours.length) {
                        maxRel = Math.max(maxRel, relDiff(ours[i], h));
                    }
                }
                double jw = (System.nanoTime() - j0) / 1e9;
                JsonObject j = new JsonObject();
                j.addProperty("kernels", jlama.kernels().name());
                j.addProperty("load_s_excluded", loadS);
                j.addProperty("wall_s", jw);
                j.addProperty("tok_per_s", tokens / jw);
                j.addProperty("max_rel_diff_vs_ours_first_prompts", maxRel);
                row.add("jlama", j);
                double ratio = oursTps / (tokens / jw);
                rows.add(new String[] {"2", "vs Jlama 0.8.4 (same F32 model, prompts, per-layer hidden states)", model,
                        Integer.toString(prompts.size()), Long.toString(tokens),
                        String.format(Locale.ROOT, "%,.0f tok/s", oursTps), String.format(Locale.ROOT, "%,.0f tok/s", tokens / jw),
                        String.format(Locale.ROOT, "%.2fx", ratio), ">= 2.5x", verdict(ratio >= 2.5)});
                notes.add(String.format(Locale.ROOT,
                        "Jlama: %s kernels, model load (%.1f s) and 2 warm-up prompts excluded, one prompt at a time (its API); "
                                + "ours: whole Sweep.run() incl. scan, embed, weight loads and writing every layer's activations "
                                + "(%s emitted); max relative difference on the first %d prompts, all layers: %.1e",
                        jlama.kernels(), loadS, mb(o.get("emitted_bytes").getAsLong()), ours.length, maxRel));
            }
        }
        json.add("vs_jlama", row);

        // Row 3: the same model, no-op callback (no emits), against DJL's GEMM rate at its shapes.
        progress("row 3: ours, no-op callback");
        List<Sample> p3 = prompts;
        JsonObject s;
        Profile[] keep = new Profile[1];
        try (Sweep sweep = Sweep.builder().model(dir).dataset(Dataset.of(p3)).microbatch(c.f32Microbatch()).finalNorm(false)
                .callbacks(ScalingProbe.noop(Layers.of(-1))).build()) {
            long t0 = System.nanoTime();
            Result r = sweep.run();
            s = profileJson(r.profile(), (System.nanoTime() - t0) / 1e9);
            keep[0] = r.profile();
        }
        double flops = BenchModels.forwardFlops(spec, spec.numLayers(), tokens, Prompts.squaredLengths(p3));
        List<List<int[]>> plan = Prompts.microbatches(p3, c.f32Microbatch());
        long slots = 0;
        for (List<int[]> mbList : plan) {
            slots += (long) mbList.size() * mbList.stream().mapToInt(t -> t.length).max().orElse(0);
        }
        int m = (int) (slots / plan.size());
        progress("row 3: DJL GEMM rate at the model's shapes, M = " + m);
        JsonObject gemm = gemmRate(spec, m);
        double ceiling = gemm.get("GFLOPs").getAsDouble();
        double wallRate = flops / s.get("wall_s").getAsDouble() / 1e9;
        double fwdRate = flops / s.get("forward_s").getAsDouble() / 1e9;
        JsonObject r3 = new JsonObject();
        r3.addProperty("model", model);
        r3.addProperty("flops", flops);
        r3.add("ours", s);
        r3.addProperty("GFLOPs_wall", wallRate);
        r3.addProperty("GFLOPs_forward_only", fwdRate);
        r3.add("djl_gemm", gemm);
        json.add("vs_ceiling", r3);
        rows.add(new String[] {"3", "vs ceiling: forward GFLOP/s vs DJL FP32 GEMM at the model's shapes (same run)", model,
                Integer.toString(p3.size()), Long.toString(tokens),
                String.format(Locale.ROOT, "%.1f GFLOP/s end-to-end (%.1f in block forward)", wallRate, fwdRate),
                String.format(Locale.ROOT, "%.1f GFLOP/s best (median %.1f), M=%d", ceiling, gemm.get("GFLOPs_median").getAsDouble(), m),
                String.format(Locale.ROOT, "%.0f%% (%.0f%%)", 100 * wallRate / ceiling, 100 * fwdRate / ceiling),
                spec.hiddenSize() >= 1024 ? ">= 60%" : ">= 60% (target needs H >= 1024)",
                spec.hiddenSize() >= 1024 ? verdict(wallRate / ceiling >= 0.6) : "n/a"});
        notes.add(String.format(Locale.ROOT,
                "row 3 time split (s): wall %.2f = embed %.2f + forward %.2f + residual I/O %.2f + callbacks %.2f + load wait %.2f + rest; "
                        + "weight staging on the prefetch thread %.2f (overlapped, competes for the 2 cores)",
                s.get("wall_s").getAsDouble(), s.get("embed_s").getAsDouble(), s.get("forward_s").getAsDouble(),
                s.get("io_s").getAsDouble(), s.get("callbacks_s").getAsDouble(), s.get("load_wait_s").getAsDouble(),
                s.get("load_s").getAsDouble()));
        return keep[0];
    }

    /** A sweep emitting every token of every layer's residual_post; copies the first prompts' activations into {@code keep}. */
    private static JsonObject sweepAll(Path dir, List<Sample> prompts, int microbatch, float[][][][] keep) {
        RawActivations raw = RawActivations.at(Layers.all()).pool(Pool.ALL).hooks(Hook.RESIDUAL_POST);
        try (Sweep sweep = Sweep.builder().model(dir).dataset(Dataset.of(prompts)).microbatch(microbatch).finalNorm(false)
                .callbacks(raw).build()) {
            long t0 = System.nanoTime();
            Result r = sweep.run();
            double wall = (System.nanoTime() - t0) / 1e9;
            JsonObject j = profileJson(r.profile(), wall);
            j.addProperty("emitted_bytes", r.profile().emittedBytes());
            if (keep != null) {
                int layers = sweep.model().numLayers();
                for (int i = 0; i < keep.length; i++) {
                    keep[i] = new float[layers][][];
                }
                for (int l = 0; l < layers; l++) {
                    ActivationTable t = r.activations(l, Hook.RESIDUAL_POST);
                    for (int i = 0; i < keep.length; i++) {
                        keep[i][l] = t.vectors(i);
                    }
                }
            }
            return j;
        }
    }

    /** max over layers and tokens of |ours − jlama| / max|jlama| per layer (Jlama's h[l+1] = our layer l). */
    private static double relDiff(float[][][] ours, float[][][] jlama) {
        double worst = 0;
        for (int l = 0; l < ours.length; l++) {
            double diff = 0;
            double scale = 0;
            for (int t = 0; t < ours[l].length; t++) {
                for (int k = 0; k < ours[l][t].length; k++) {
                    diff = Math.max(diff, Math.abs(ours[l][t][k] - jlama[l + 1][t][k]));
                    scale = Math.max(scale, Math.abs(jlama[l + 1][t][k]));
                }
            }
            worst = Math.max(worst, diff / Math.max(scale, 1e-30));
        }
        return worst;
    }

    /** DJL's FP32 rate over one block's projections (Linear.linear, W [out, in]) with M tokens. */
    static JsonObject gemmRate(ModelSpec spec, int m) {
        long h = spec.hiddenSize();
        long q = (long) spec.numHeads() * spec.headDim();
        long kv = (long) spec.numKvHeads() * spec.headDim();
        long i = spec.intermediateSize();
        long[][] shapes = spec.gatedMlp()
                ? new long[][] {{h, q}, {h, kv}, {h, kv}, {q, h}, {h, i}, {h, i}, {i, h}}
                : new long[][] {{h, q}, {h, kv}, {h, kv}, {q, h}, {h, i}, {i, h}};
        JsonObject j = new JsonObject();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            NDArray[] xs = new NDArray[shapes.length];
            NDArray[] ws = new NDArray[shapes.length];
            double flops = 0;
            for (int s = 0; s < shapes.length; s++) {
                xs[s] = manager.randomNormal(0, 1, new Shape(m, shapes[s][0]), DataType.FLOAT32);
                ws[s] = manager.randomNormal(0, 0.02f, new Shape(shapes[s][1], shapes[s][0]), DataType.FLOAT32);
                flops += 2.0 * m * shapes[s][0] * shapes[s][1];
            }
            double best = Double.MAX_VALUE;
            double total = 0;
            int reps = 0;
            List<Double> times = new ArrayList<>();
            long deadline = System.nanoTime() + 3_000_000_000L;
            for (int rep = 0; rep < 3 || (System.nanoTime() < deadline && rep < 200); rep++) {
                long t0 = System.nanoTime();
                for (int s = 0; s < shapes.length; s++) {
                    NDArray y = Linear.linear(xs[s], ws[s]).singletonOrThrow();
                    y.getFloat(0, 0);
                    y.close();
                }
                double dt = (System.nanoTime() - t0) / 1e9;
                if (rep >= 2) { // two warm-up passes
                    best = Math.min(best, dt);
                    total += dt;
                    times.add(dt);
                    reps++;
                }
            }
            j.addProperty("M", m);
            j.addProperty("shapes", Arrays.deepToString(shapes));
            // The ceiling is the best pass (the rate DJL can reach at these shapes); mean and median for context.
            j.addProperty("GFLOPs", flops / best / 1e9);
            j.addProperty("GFLOPs_mean", flops * reps / total / 1e9);
            j.addProperty("GFLOPs_median", flops / median(times) / 1e9);
            j.addProperty("reps", reps);
        }
        return j;
    }

    // ---------------------------------------------------------------- row 4: overhead

    private void overhead(Path dir, Profile reference) {
        Config c = config;
        ModelSpec spec = BenchModels.spec(dir);
        List<Sample> prompts = Prompts.random(c.f32Prompts(), c.f32Min(), c.f32Max(), spec.vocabSize(), 13);
        List<Double> off = new ArrayList<>();
        List<Double> on = new ArrayList<>();
        List<Double> listenerShare = new ArrayList<>();
        long listenerEvents = 0;
        StringWriter sink = new StringWriter();
        for (int pair = 0; pair < c.overheadPairs(); pair++) {
            progress("row 4: pair " + (pair + 1) + "/" + c.overheadPairs());
            boolean onFirst = pair % 2 == 1;
            for (int k = 0; k < 2; k++) {
                boolean withProgress = (k == 0) == onFirst;
                CliLikeProgress cli = new CliLikeProgress(new PrintWriter(sink));
                long[] inListener = new long[2];
                ProgressListener timed = event -> {
                    long a = System.nanoTime();
                    cli.on(event);
                    inListener[0] += System.nanoTime() - a;
                    inListener[1]++;
                };
                double w = sweep(dir, prompts, c.f32Microbatch(), withProgress ? timed : ProgressListener.NONE).get("wall_s").getAsDouble();
                (withProgress ? on : off).add(w);
                if (withProgress) {
                    listenerShare.add(inListener[0] / 1e9 / w);
                    listenerEvents = inListener[1];
                }
            }
        }
        double medOff = median(off);
        double medOn = median(on);
        double progressOverhead = (medOn - medOff) / medOff;
        double spread = (max(off) - min(off)) / medOff;
        // The profile cannot be switched off (SweepRunner always records): estimate its cost from the calls it makes.
        int mbs = (prompts.size() + c.f32Microbatch() - 1) / c.f32Microbatch();
        double perMicrobatch = profileCostPerMicrobatch();
        double profileSeconds = perMicrobatch * mbs * spec.numLayers();
        double profileOverhead = profileSeconds / medOff;
        JsonObject j = new JsonObject();
        j.add("wall_s_progress_off", array(off));
        j.add("wall_s_progress_on", array(on));
        j.addProperty("median_off", medOff);
        j.addProperty("median_on", medOn);
        j.addProperty("progress_overhead_ab", progressOverhead);
        j.addProperty("progress_listener_time_share", median(listenerShare));
        j.addProperty("progress_events_per_run", listenerEvents);
        j.addProperty("run_to_run_spread_off", spread);
        j.addProperty("profile_cost_per_microbatch_layer_s", perMicrobatch);
        j.addProperty("profile_overhead_estimate", profileOverhead);
        json.add("overhead", j);
        rows.add(new String[] {"4", "overhead: progress listener (CLI's work) on vs off; profile always on (estimated)",
                c.f32Model().describe(), Integer.toString(prompts.size()), Long.toString(Prompts.tokens(prompts)),
                String.format(Locale.ROOT, "median %.3f s with progress", medOn),
                String.format(Locale.ROOT, "median %.3f s without", medOff),
                String.format(Locale.ROOT, "listener %.4f%% of wall (timed in-run); A/B %+.1f%% (spread %.1f%%); profile ~%.4f%%",
                        100 * median(listenerShare), 100 * progressOverhead, 100 * spread, 100 * profileOverhead),
                "< 1%", verdict(median(listenerShare) + profileOverhead < 0.01)});
        notes.add(String.format(Locale.ROOT,
                "overhead: the listener's own time is measured inside each run (nanoTime around every call, %d events per run); "
                        + "the A/B wall-time difference of %d alternating pairs is reported too but is below this machine's "
                        + "run-to-run noise; the profile cannot be switched off (ProfileRecorder is always on in "
                        + "SweepRunner), so its cost is estimated by timing the calls it makes per microbatch and layer "
                        + "(%.2f us x %d microbatches x %d layers = %.2f ms of a %.2f s run)",
                listenerEvents, c.overheadPairs(), perMicrobatch * 1e6, mbs, spec.numLayers(), profileSeconds * 1e3, medOff));
    }

    /** The time of one microbatch's profile bookkeeping in SweepRunner + CallbackDispatcher (clock reads, counter updates). */
    private static double profileCostPerMicrobatch() {
        ProfileRecorder p = new ProfileRecorder();
        double sink = 0;
        int n = 2_000_000;
        for (int rep = 0; rep < 2; rep++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                int layer = i & 3;
                long a = System.nanoTime();
                long b = System.nanoTime();
                double before = p.callbackSeconds(layer);
                long cs = System.nanoTime();
                p.callbacks(layer, (System.nanoTime() - cs) / 1e9);
                long d = System.nanoTime();
                p.forward(layer, (d - b) / 1e9 - (p.callbackSeconds(layer) - before));
                p.io(layer, (b - a + System.nanoTime() - d) / 1e9);
            }
            sink = (System.nanoTime() - t0) / 1e9 / n;
        }
        return sink;
    }

    /** What the CLI's ProgressPrinter does per event (more: it formats the tok/s + ETA message on every microbatch). */
    static final class CliLikeProgress implements ProgressListener {
        private final PrintWriter out;
        private final long start = System.nanoTime();
        private long steps;
        private long totalSteps;
        private long tokens;
        private long totalTokens;
        private long lastLine;
        private String message = "";

        CliLikeProgress(PrintWriter out) {
            this.out = out;
        }

        @Override
        public void on(ProgressEvent event) {
            switch (event) {
                case ProgressEvent.RunStarted s -> {
                    totalSteps = (long) s.layers() * s.microbatches();
                    totalTokens = (long) s.layers() * s.tokens();
                }
                case ProgressEvent.LayerStarted l -> message = " layer " + l.layer();
                case ProgressEvent.MicrobatchDone m -> {
                    steps++;
                    tokens += m.tokens();
                    double elapsed = (System.nanoTime() - start) / 1e9;
                    double tps = elapsed > 0 ? tokens / elapsed : 0;
                    double eta = tokens == 0 ? 0 : elapsed * (totalTokens - tokens) / tokens;
                    message = String.format(Locale.ROOT, " layer %d, %,.0f tok/s, %d/%d, ETA %.0f s", m.layer(), tps, steps, totalSteps, eta);
                    if (System.nanoTime() - lastLine >= 5_000_000_000L) {
                        out.println(message);
                        out.flush();
                        lastLine = System.nanoTime();
                    }
                }
                case ProgressEvent.LayerFinished f -> message = "";
                case ProgressEvent.RunFinished r -> out.flush();
            }
        }
    }

    // ---------------------------------------------------------------- row 5: scaling

    private void scaling() throws IOException, InterruptedException {
        Config c = config;
        Shape3 base = c.scaleModel();
        Shape3 deep = base.depth(base.layers() * 4);
        int n = c.scaleN();
        Object[][] runs = {{base, n}, {base, 4 * n}, {base, 16 * n}, {deep, n}, {deep, 4 * n}};
        JsonArray arr = new JsonArray();
        JsonObject first = null;
        for (Object[] run : runs) {
            Shape3 shape = (Shape3) run[0];
            int prompts = (Integer) run[1];
            Path dir = shape.dir();
            progress("row 5: child JVM, " + shape.describe() + ", " + prompts + " prompts");
            JsonObject r = child(dir, prompts, c.scaleMin(), c.scaleMax(), c.scaleMicrobatch());
            r.addProperty("model", shape.describe());
            r.addProperty("layers", shape.layers());
            r.addProperty("prompts", prompts);
            arr.add(r);
            if (first == null) {
                first = r;
            }
            double timeRatio = r.get("wall_s").getAsDouble() / first.get("wall_s").getAsDouble();
            double workRatio = (double) r.get("tokens").getAsLong() * shape.layers() / (first.get("tokens").getAsLong() * base.layers());
            double rss = r.get("VmHWM_kB").getAsLong() / 1024.0;
            double rss0 = first.get("VmHWM_kB").getAsLong() / 1024.0;
            rows.add(new String[] {"5", String.format(Locale.ROOT, "scaling: %s prompts, %dx depth (child JVM)",
                    prompts == n ? "N" : (prompts / n) + "N", shape.layers() / base.layers()),
                    shape.describe(), Integer.toString(prompts), Long.toString(r.get("tokens").getAsLong()),
                    String.format(Locale.ROOT, "%,.0f tok/s, %.2f s, peak RSS %.0f MB (anon %.0f, file %.0f, heap %.0f)",
                            r.get("tok_per_s").getAsDouble(), r.get("wall_s").getAsDouble(), rss,
                            r.get("PeakRssAnon_kB").getAsLong() / 1024.0, r.get("PeakRssFile_kB").getAsLong() / 1024.0,
                            r.get("HeapCommitted_kB").getAsLong() / 1024.0),
                    "first row", String.format(Locale.ROOT, "time %.2fx for %.2fx work; RSS %+.0f MB", timeRatio, workRatio, rss - rss0),
                    "time ~ linear, RSS flat", "-"});
        }
        json.add("scaling", arr);
    }

    private static JsonObject child(Path dir, int prompts, int minLen, int maxLen, int microbatch) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--") || a.startsWith("-D")).toList());
        // A fixed, pre-touched heap: RSS then shows native and mapped memory growth, not G1 touching more of its heap.
        cmd.addAll(List.of("-Xms512m", "-Xmx512m", "-XX:+AlwaysPreTouch"));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(ScalingProbe.class.getName());
        cmd.addAll(List.of(dir.toString(), Integer.toString(prompts), Integer.toString(minLen), Integer.toString(maxLen),
                Integer.toString(microbatch)));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String result = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("SCALING ")) {
                    result = line.substring("SCALING ".length());
                }
            }
        }
        int rc = p.waitFor();
        if (rc != 0 || result == null) {
            throw new IllegalStateException("scaling probe failed (exit " + rc + "): " + cmd);
        }
        return com.google.gson.JsonParser.parseString(result).getAsJsonObject();
    }

    // ---------------------------------------------------------------- output

    private String table(String command, JsonObject machine, ZonedDateTime start) {
        String[] head = {"#", "comparison", "model", "N", "tokens", "ours", "baseline", "ratio", "target", "met"};
        int[] w = new int[head.length];
        for (int i = 0; i < head.length; i++) {
            w[i] = head[i].length();
        }
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        sb.append("fpwap end-to-end benchmark (").append(config.name()).append(" config), ")
                .append(start.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)).append('\n');
        sb.append("command: ").append(command).append('\n');
        sb.append(String.format(Locale.ROOT, "machine: %s, %d cores, %s RAM, %s; load average at start %s, at end %s%n",
                machine.get("cpu").getAsString(), machine.get("cores").getAsInt(), machine.get("mem").getAsString(),
                machine.get("java").getAsString(), machine.get("load_avg_start").getAsString(), json.get("load_avg_end").getAsString()));
        sb.append(String.format(Locale.ROOT, "total harness time %.0f s%n", json.get("total_s").getAsDouble()));
        appendRow(sb, head, w);
        String[] sep = new String[head.length];
        for (int i = 0; i < sep.length; i++) {
            sep[i] = "-".repeat(w[i]);
        }
        appendRow(sb, sep, w);
        for (String[] r : rows) {
            appendRow(sb, r, w);
        }
        sb.append('\n');
        for (String n : notes) {
            sb.append("- ").append(n).append('\n');
        }
        return sb.toString();
    }

    private static void appendRow(StringBuilder sb, String[] r, int[] w) {
        sb.append('|');
        for (int i = 0; i < r.length; i++) {
            sb.append(' ').append(r[i]).append(" ".repeat(w[i] - r[i].length())).append(" |");
        }
        sb.append('\n');
    }

    private static JsonObject machine() {
        JsonObject m = new JsonObject();
        String cpu = "unknown";
        String mem = "unknown";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal")) {
                    mem = String.format(Locale.ROOT, "%.1f GiB", Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0 / 1024.0);
                }
            }
        } catch (IOException e) {
            // leave unknown
        }
        m.addProperty("cpu", cpu);
        m.addProperty("cores", Runtime.getRuntime().availableProcessors());
        m.addProperty("mem", mem);
        m.addProperty("java", "Java " + Runtime.version());
        m.addProperty("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        m.addProperty("load_avg_start", loadAverage());
        return m;
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String verdict(boolean met) {
        return met ? "MET" : "MISSED";
    }

    private static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(null);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static double max(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    }

    private static double min(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).min().orElse(0);
    }

    private static JsonArray array(List<Double> xs) {
        JsonArray a = new JsonArray();
        xs.forEach(a::add);
        return a;
    }
}
