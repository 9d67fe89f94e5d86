package org.fpwap.bench;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.fpwap.callback.Batch;
import org.fpwap.callback.Callback;
import org.fpwap.callback.CallbackAction;
import org.fpwap.callback.LayerSelection;
import org.fpwap.callback.Layers;
import org.fpwap.dataset.Dataset;
import org.fpwap.forward.Hook;
import org.fpwap.result.Result;
import org.fpwap.sweep.Sweep;

/**
 * Child-JVM entry point for the scaling rows (one config per process, so {@code VmHWM} is that config's
 * peak): one sweep of {@code prompts} seeded prompts over the model with a no-op READ callback at the last
 * layer, then one JSON line with tokens, wall time, tok/s and {@code VmHWM}/{@code VmRSS} (kB) from
 * {@code /proc/self/status}.
 *
 * <p>Usage: {@code ScalingProbe <modelDir> <prompts> <minLen> <maxLen> <microbatch>}
 */
public final class ScalingProbe {

    private ScalingProbe() {}

    public static void main(String[] args) throws IOException {
        Path model = Path.of(args[0]);
        int prompts = Integer.parseInt(args[1]);
        int minLen = Integer.parseInt(args[2]);
        int maxLen = Integer.parseInt(args[3]);
        int microbatch = Integer.parseInt(args[4]);
        var spec = BenchModels.spec(model);
        Dataset data = Dataset.of(Prompts.random(prompts, minLen, maxLen, spec.vocabSize(), 7));
        JsonObject o = new JsonObject();
        long[] peaks = new long[2];
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                sample(peaks);
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "rss-sampler");
        sampler.setDaemon(true);
        sampler.start();
        try (Sweep sweep = Sweep.builder().model(model).dataset(data).microbatch(microbatch).finalNorm(false)
                .callbacks(noop(Layers.of(-1))).build()) {
            long t0 = System.nanoTime();
            Result r = sweep.run();
            double wall = (System.nanoTime() - t0) / 1e9;
            o.addProperty("tokens", r.profile().tokens());
            o.addProperty("wall_s", wall);
            o.addProperty("tok_per_s", r.profile().tokens() / wall);
            o.addProperty("weight_bytes_read", r.profile().weightBytesRead());
        }
        sampler.interrupt();
        sample(peaks);
        o.addProperty("PeakRssAnon_kB", peaks[0]);
        o.addProperty("PeakRssFile_kB", peaks[1]);
        o.addProperty("HeapCommitted_kB", java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted() / 1024);
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM") || line.startsWith("VmRSS")) {
                o.addProperty(line.substring(0, line.indexOf(':')) + "_kB", Long.parseLong(line.replaceAll("[^0-9]", "")));
            }
        }
        System.out.println("SCALING " + o);
    }

    /** Updates {@code peaks} = {RssAnon, RssFile} maxima (kB) from /proc/self/status (as core's RssProbe does). */
    private static void sample(long[] peaks) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("RssAnon:")) {
                    peaks[0] = Math.max(peaks[0], Long.parseLong(line.replaceAll("[^0-9]", "")));
                } else if (line.startsWith("RssFile:")) {
                    peaks[1] = Math.max(peaks[1], Long.parseLong(line.replaceAll("[^0-9]", "")));
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A READ callback that does nothing (the sweep needs at least one to know how deep to go). */
    static Callback noop(LayerSelection layers) {
        return new Callback() {
            @Override
            public LayerSelection layers() {
                return layers;
            }

            @Override
            public Set<Hook> hooks() {
                return Set.of(Hook.RESIDUAL_POST);
            }

            @Override
            public String name() {
                return "noop";
            }

            @Override
            public CallbackAction onBatch(Batch batch) {
                return CallbackAction.nothing();
            }
        };
    }
}
