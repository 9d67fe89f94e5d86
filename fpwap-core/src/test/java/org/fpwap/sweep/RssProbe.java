package org.fpwap.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.Set;
import org.fpwap.callback.CallbackAction;
import org.fpwap.callback.Layers;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.Sample;
import org.fpwap.dataset.SampleCursor;
import org.fpwap.forward.Hook;
import org.fpwap.result.Result;

/**
 * Child-JVM entry point for {@link MemoryDoesNotGrowTest}: runs one sweep of {@code prompts} seeded prompts
 * (8–64 tokens, generated on the fly, never held as a list) over the model in {@code args[0]} with a READ
 * callback that only keeps a running sum, then prints this process's memory lines from
 * {@code /proc/self/status} ({@code VmHWM}, {@code VmRSS}, {@code RssAnon}, {@code RssFile}), the peaks of
 * {@code RssAnon} and {@code RssFile} sampled every 5 ms during the run, {@code RssAnon} just before the sweep
 * (libtorch already started: {@code BaselineRssAnon}), and the sum.
 *
 * <p>Usage: {@code RssProbe <modelDir> <workDir> <prompts> <microbatch>}
 */
public final class RssProbe {

    private RssProbe() {}

    /**
     * Runs this probe in a child JVM with surefire's flags and a fixed, pre-touched 192 MB heap (see
     * {@link MemoryDoesNotGrowTest} for why); returns its figures (memory in kB) by name.
     */
    static Map<String, Double> measure(Path model, Path work, int prompts, int microbatch)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-opens=java.base/java.nio=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "--add-modules=jdk.incubator.vector", "-Dai.djl.offline=true",
                // Arena memory counts against MaxDirectMemorySize (= -Xmx unless set): two staging slots of an 80 MB
                // layer would otherwise nearly exhaust it, and a leak would end in OutOfMemoryError instead of
                // showing up in the measurement.
                "-Xms192m", "-Xmx192m", "-XX:+AlwaysPreTouch", "-XX:MaxDirectMemorySize=4g",
                "-cp", System.getProperty("java.class.path"), RssProbe.class.getName(), model.toString(), work.toString(),
                Integer.toString(prompts), Integer.toString(microbatch)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "probe timed out");
        assertEquals(0, p.exitValue(), out);
        Map<String, Double> values = new HashMap<>();
        for (String line : out.split("\n")) {
            String[] parts = line.trim().split("[:\\s]+");
            if (parts.length >= 2 && parts[0].matches(
                    "BaselineRssAnon|VmHWM|VmRSS|RssAnon|RssFile|PeakRssAnon|PeakRssFile|HeapCommitted|HeapUsed|tokens|wall_s|sum")) {
                values.put(parts[0], Double.parseDouble(parts[1]));
            }
        }
        assertTrue(values.containsKey("VmHWM") && values.containsKey("PeakRssAnon"), out);
        System.out.printf("RSS probe %s, %d prompts: %s%n", model.getFileName(), prompts, values);
        return values;
    }

    public static void main(String[] args) throws IOException {
        Path modelDir = Path.of(args[0]);
        Path workDir = Path.of(args[1]);
        int prompts = Integer.parseInt(args[2]);
        int microbatch = Integer.parseInt(args[3]);
        // Start libtorch before the baseline, so the baseline holds the JVM and the engine but no sweep.
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            m.create(new float[] {1f}).add(1f).toFloatArray();
        }
        long[] baseline = new long[2];
        sample(baseline);
        System.out.println("BaselineRssAnon " + baseline[0]);
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
        double[] sum = new double[1];
        TestCallback accumulate = TestCallback.read("sum", Layers.all(), Set.of(Hook.RESIDUAL_POST), b -> {
            sum[0] += b.lastRealToken().sum().getFloat();
            return CallbackAction.nothing();
        });
        try (Sweep sweep = Sweep.builder().model(modelDir).dataset(generated(prompts, 1000)).microbatch(microbatch).workDir(workDir)
                .callbacks(accumulate).build()) {
            Result result = sweep.run();
            System.out.println("tokens " + result.profile().tokens());
            System.out.println("wall_s " + result.profile().wallSeconds());
        }
        sampler.interrupt();
        sample(peaks);
        System.out.println("PeakRssAnon " + peaks[0]);
        System.out.println("PeakRssFile " + peaks[1]);
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM") || line.startsWith("VmRSS") || line.startsWith("RssAnon") || line.startsWith("RssFile")) {
                System.out.println(line);
            }
        }
        var heap = java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        System.out.println("HeapCommitted " + heap.getCommitted() / 1024);
        System.out.println("HeapUsed " + heap.getUsed() / 1024);
        System.out.println("sum " + sum[0]);
    }

    /** Updates {@code peaks} = {RssAnon, RssFile} maxima (kB) from /proc/self/status. */
    private static void sample(long[] peaks) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("RssAnon:")) {
                    peaks[0] = Math.max(peaks[0], kb(line));
                } else if (line.startsWith("RssFile:")) {
                    peaks[1] = Math.max(peaks[1], kb(line));
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static long kb(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }

    /** {@code n} prompts of 8–64 tokens below {@code vocab}, the same on every pass. */
    static Dataset generated(int n, int vocab) {
        return new Dataset() {
            @Override
            public SampleCursor open() {
                Random random = new Random(17);
                return new SampleCursor() {
                    int next;

                    @Override
                    public boolean hasNext() {
                        return next < n;
                    }

                    @Override
                    public Sample next() {
                        int[] tokens = new int[8 + random.nextInt(57)];
                        for (int i = 0; i < tokens.length; i++) {
                            tokens[i] = random.nextInt(vocab);
                        }
                        return new Sample(next++, tokens, java.util.OptionalLong.empty());
                    }

                    @Override
                    public void close() {}
                };
            }

            @Override
            public String description() {
                return n + " generated prompts";
            }
        };
    }
}
