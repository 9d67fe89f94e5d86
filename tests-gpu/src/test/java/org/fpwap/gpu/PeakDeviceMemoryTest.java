package org.fpwap.gpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.util.cuda.CudaUtils;
import java.lang.management.MemoryUsage;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.fpwap.callbacks.Pool;
import org.fpwap.callbacks.RawActivations;
import org.fpwap.callback.Layers;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.Sample;
import org.fpwap.device.Devices;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.sweep.Plan;
import org.fpwap.sweep.Sweep;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On CUDA, the device memory a run takes (driver view: total − free, sampled every 2 ms, above the level
 * before the run) stays within the preflight's peak estimate, plus the caching allocator's rounding.
 */
@RequiresDevice
class PeakDeviceMemoryTest {

    /** PyTorch's caching allocator reserves in 2 MiB (small) and 20 MiB (large) segments. */
    static final long ALLOCATOR_SLACK = 64L << 20;

    @TempDir
    Path tmp;

    @Test
    void peakDeviceMemoryStaysWithinThePreflightEstimate() throws Exception {
        Device device = Devices.resolve(TestDevice.name());
        Assumptions.assumeTrue(device.isGpu(), "device memory is sampled through CUDA (MPS shares RAM: not measurable this way)");
        Path model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).dims(1024, 16, 8, 64).intermediate(4096).layers(3).build(),
                model);
        List<Sample> data = Fixtures.prompts(3, 120, 64, 128, 30, 90, 100, 128, 77, 12, 128, 50, 60);
        try (NDManager warm = NDManager.newBaseManager(device)) {
            warm.create(new float[] {1f}).close(); // the CUDA context exists before the baseline
        }
        long baseline = used(device);
        AtomicLong peak = new AtomicLong(baseline);
        AtomicBoolean done = new AtomicBoolean();
        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
            while (!done.get()) {
                peak.accumulateAndGet(used(device), Math::max);
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        Plan plan;
        try (Sweep sweep = Sweep.builder().model(model).dataset(Dataset.of(data)).device(TestDevice.name())
                .callbacks(RawActivations.at(Layers.all()).pool(Pool.LAST)).workDir(tmp.resolve("w")).build()) {
            plan = sweep.preflight();
            sweep.run();
        } finally {
            done.set(true);
            sampler.join();
        }
        long taken = peak.get() - baseline;
        assertTrue(taken <= plan.peakDeviceBytes() + ALLOCATOR_SLACK, "device memory rose by " + taken + " bytes; the plan estimated "
                + plan.peakDeviceBytes() + " (+" + ALLOCATOR_SLACK + " allocator slack)\n" + plan.summary());
    }

    private static long used(Device device) {
        MemoryUsage u = CudaUtils.getGpuMemory(device);
        return u.getCommitted();
    }
}
