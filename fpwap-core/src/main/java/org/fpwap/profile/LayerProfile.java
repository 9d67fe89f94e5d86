package org.fpwap.profile;

/**
 * Where one layer's time went.
 *
 * @param layer the block
 * @param loadSeconds worker time reading and decoding the weights (overlaps the previous layer's compute)
 * @param loadWaitSeconds time the compute thread waited for the weights (load that prefetch did not hide)
 * @param forwardSeconds time in the block forward, callbacks excluded
 * @param callbackSeconds time in callbacks (including copying emits to the host)
 * @param ioSeconds time reading and writing the residual buffer
 * @param weightBytesRead checkpoint bytes read for the layer
 * @param cpu the process's CPU time (all threads, prefetch worker included) while the layer ran, user and system
 */
public record LayerProfile(int layer, double loadSeconds, double loadWaitSeconds, double forwardSeconds,
        double callbackSeconds, double ioSeconds, long weightBytesRead, CpuTimes cpu) {

    public LayerProfile {
        java.util.Objects.requireNonNull(cpu, "cpu is null");
    }

    /** A layer without CPU-time figures. */
    public LayerProfile(int layer, double loadSeconds, double loadWaitSeconds, double forwardSeconds,
            double callbackSeconds, double ioSeconds, long weightBytesRead) {
        this(layer, loadSeconds, loadWaitSeconds, forwardSeconds, callbackSeconds, ioSeconds, weightBytesRead, CpuTimes.ZERO);
    }
}
