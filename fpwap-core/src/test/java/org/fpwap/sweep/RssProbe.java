package org.fpwap.sweep;

import java.io.IOException;
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
 * {@code RssAnon} and {@code RssFile} sampled every 5 ms during the run, and the sum.
 *
 * <p>Usage: {@code RssProbe <modelDir> <workDir> <prompts> <microbatch>}
 */
public final class RssProbe {

    private RssProbe() {}

    public static void main(String[] args) throws IOException {
        Path modelDir = Path.of(args[0]);
        Path workDir = Path.of(args[1]);
        int prompts = Integer.parseInt(args[2]);
        int microbatch = Integer.parseInt(args[3]);
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
