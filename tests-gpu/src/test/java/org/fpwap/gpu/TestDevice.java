package org.fpwap.gpu;

import java.util.Locale;
import org.fpwap.device.DeviceUnavailableException;
import org.fpwap.device.Devices;
import org.fpwap.device.EngineInfo;

/**
 * The device the GPU tests run on: {@code -Dfpwap.test.device=cuda:1} picks one; otherwise the first CUDA device
 * the engine sees, else MPS on Apple silicon, else none, with the reason why (for the skip message).
 */
final class TestDevice {

    static final String PROPERTY = "fpwap.test.device";

    /** A device name, or null and why there is none. */
    record Availability(String device, String reason) {}

    private static Availability availability;

    private TestDevice() {}

    static synchronized Availability availability() {
        if (availability == null) {
            availability = detect();
        }
        return availability;
    }

    /** The device name; only call from tests guarded by {@link RequiresDevice}. */
    static String name() {
        String d = availability().device();
        if (d == null) {
            throw new IllegalStateException("no device: " + availability().reason());
        }
        return d;
    }

    private static Availability detect() {
        String os = System.getProperty("os.name", "") + "/" + System.getProperty("os.arch", "");
        EngineInfo engine;
        try {
            engine = EngineInfo.current();
        } catch (RuntimeException | LinkageError e) {
            return new Availability(null, "no CUDA or MPS device: the PyTorch engine did not load (" + e.getMessage()
                    + "); under -Pcuda set PYTORCH_LIBRARY_PATH/PYTORCH_VERSION/PYTORCH_FLAVOR or allow DJL's one-time download");
        }
        String requested = System.getProperty(PROPERTY, "").trim();
        if (!requested.isEmpty()) {
            try {
                Devices.resolve(requested);
                return new Availability(requested, "");
            } catch (DeviceUnavailableException e) {
                return new Availability(null, "-D" + PROPERTY + "=" + requested + " is not usable: " + e.getMessage());
            }
        }
        if (engine.cudaDevices() > 0) {
            return new Availability("cuda:0", "");
        }
        boolean appleSilicon = os.toLowerCase(Locale.ROOT).startsWith("mac") && os.endsWith("aarch64");
        if (appleSilicon) {
            try {
                Devices.resolve("mps");
                return new Availability("mps", "");
            } catch (DeviceUnavailableException e) {
                return new Availability(null, "no CUDA or MPS device: " + e.getMessage());
            }
        }
        return new Availability(null, "no CUDA or MPS device on this machine (" + os + "; engine " + engine.describe()
                + "); run scripts/gpu-check on an NVIDIA machine, or mvn test on Apple silicon");
    }
}
