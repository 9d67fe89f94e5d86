package org.fpwap.device;

import static java.util.Objects.requireNonNull;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * The one seam where staged host FP32 memory (layer weights, a microbatch's residual rows) becomes a
 * tensor on the compute device. On CPU the tensor wraps the host memory without a copy; on CUDA/MPS DJL
 * copies it (a synchronous upload: {@code from_blob} on the host, then {@code .to(device)}), so the tensor no
 * longer depends on the host memory once created.
 *
 * <p>So that the copying path does not run for the first time on a GPU, it can be forced on CPU: with
 * {@code -Dfpwap.forceDeviceCopy=true} every upload makes a tensor with its own storage (a clone of the
 * host view), exactly the ownership a GPU upload has. Results are bit-identical either way; the switch
 * exists for tests and for diagnosing a suspected aliasing bug. Downloads go through {@link #hostView}, which
 * reads a CPU tensor in place instead of copying it into new heap arrays per microbatch.
 */
public final class DeviceTransfer {

    /** System property that forces the copying upload on CPU (default false). */
    public static final String FORCE_COPY_PROPERTY = "fpwap.forceDeviceCopy";

    private final Device device;
    private final boolean copies;

    private DeviceTransfer(Device device, boolean copies) {
        this.device = requireNonNull(device, "device is null");
        this.copies = copies;
    }

    /** Uploads to {@code device}: zero-copy on CPU unless {@value #FORCE_COPY_PROPERTY} is true, a copy elsewhere. */
    public static DeviceTransfer to(Device device) {
        return of(device, Boolean.getBoolean(FORCE_COPY_PROPERTY));
    }

    /** Uploads to {@code device}, copying on CPU too when {@code forceCopy}. */
    public static DeviceTransfer of(Device device, boolean forceCopy) {
        return new DeviceTransfer(device, forceCopy || !Devices.isHost(device));
    }

    /** The device tensors are created on. */
    public Device device() {
        return device;
    }

    /** Whether uploaded tensors own their storage (true off CPU, and on CPU when forced). */
    public boolean copies() {
        return copies;
    }

    /**
     * Waits until the device has finished computing {@code array}, so that the time of what follows (a download)
     * does not include kernels still queued for it: CUDA and MPS run DJL's ops asynchronously, and DJL has no
     * synchronize call, so this reads one element back (a 4-byte copy that waits for the stream). Does nothing unless
     * {@link #copies()}: on CPU without the switch every op has finished when it returns.
     */
    public void awaitDevice(NDArray array) {
        if (!copies || array.size() == 0) {
            return;
        }
        try (NDArray flat = array.reshape(-1); NDArray first = flat.get(0)) {
            first.getFloat();
        }
    }

    /**
     * A FLOAT32 tensor of {@code shape} in {@code manager} (whose device must be this transfer's) holding
     * the little-endian floats of {@code fp32}. Unless {@link #copies()}, the tensor points into
     * {@code fp32}, which must then outlive it.
     */
    public NDArray upload(NDManager manager, MemorySegment fp32, Shape shape) {
        if (!manager.getDevice().equals(device)) {
            throw new IllegalArgumentException("manager is on " + manager.getDevice() + " but this transfer targets " + device);
        }
        long expected = shape.size() * Float.BYTES;
        if (fp32.byteSize() != expected) {
            throw new IllegalArgumentException("host buffer of " + fp32.byteSize() + " bytes does not hold an FP32 tensor of shape "
                    + shape + " (" + expected + " bytes)");
        }
        // DJL ignores a buffer's position: always a fresh view of exactly this slice.
        NDArray created = manager.create(fp32.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN), shape, DataType.FLOAT32);
        if (!copies || !Devices.isHost(created.getDevice())) {
            return created; // CPU: a view of fp32; elsewhere DJL already copied to the device
        }
        try (created) {
            return created.duplicate(); // forced copy on CPU: own storage, like a GPU upload
        }
    }

    /**
     * The FP32 values of {@code array} as host memory, valid while the array (and its manager) is open. A
     * contiguous CPU tensor is read in place; otherwise DJL first makes a contiguous CPU copy in the array's
     * manager. Unlike {@code toFloatArray()} (a {@code byte[]} and a {@code float[]} per call) this allocates
     * nothing on the heap, so a sweep's heap does not churn in proportion to the data it streams.
     *
     * @param array a FLOAT32 tensor
     * @return its values in native (little-endian) order
     */
    public static MemorySegment hostView(NDArray array) {
        if (array.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("expected a FLOAT32 tensor, got " + array.getDataType());
        }
        return MemorySegment.ofBuffer(array.toByteBuffer(true));
    }
}
