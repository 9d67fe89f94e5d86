package org.fpwap.device;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import java.io.IOException;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How much device memory a sweep may plan for when the user gives no budget: the free memory of a CUDA
 * device, or a safe fraction of the RAM available now on CPU and MPS (unified memory).
 */
public final class MemoryBudget {

    /** Share of available RAM a CPU/MPS sweep plans to use: the page cache and the JVM need the rest. */
    public static final double RAM_FRACTION = 0.5;

    private MemoryBudget() {}

    /** The default budget, in bytes, for {@code device}. */
    public static long defaultBytes(Device device) {
        if (device.isGpu()) {
            MemoryUsage usage = CudaUtils.getGpuMemory(device);
            return usage.getMax() - usage.getCommitted();
        }
        return (long) (availableRamBytes() * RAM_FRACTION);
    }

    /**
     * RAM available for new allocations without swapping ({@code MemAvailable} in {@code /proc/meminfo}), or
     * the JVM's view of physical memory where that file does not exist.
     */
    public static long availableRamBytes() {
        Path meminfo = Path.of("/proc/meminfo");
        if (Files.isReadable(meminfo)) {
            try {
                for (String line : Files.readAllLines(meminfo)) {
                    if (line.startsWith("MemAvailable:")) {
                        String[] parts = line.trim().split("\\s+");
                        return Long.parseLong(parts[1]) * 1024;
                    }
                }
            } catch (IOException | NumberFormatException e) {
                // Fall through to the JVM's view.
            }
        }
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getFreeMemorySize();
        }
        return Runtime.getRuntime().maxMemory();
    }
}
