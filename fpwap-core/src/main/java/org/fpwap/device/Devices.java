package org.fpwap.device;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Locale;

/**
 * Resolves a device name ({@code cpu}, {@code cuda}, {@code cuda:N}, {@code mps}) to a DJL device
 * that is present, before any work starts, so a missing GPU is a clear error rather than a JVM abort.
 */
public final class Devices {

    private Devices() {}

    /** The device called {@code name}, checked to exist with the loaded PyTorch engine. */
    public static Device resolve(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (n.equals("cpu")) {
            return Device.cpu();
        }
        if (n.equals("cuda") || n.equals("gpu") || n.startsWith("cuda:")) {
            int index = n.startsWith("cuda:") ? parseIndex(name, n.substring(5)) : 0;
            int count = Engine.getEngine("PyTorch").getGpuCount();
            if (count <= index) {
                throw new DeviceUnavailableException("device " + name + " requested, but the PyTorch engine sees "
                        + count + " CUDA device(s) (engine flavour: " + flavour() + "). Run on a machine with an NVIDIA GPU "
                        + "and a CUDA build of libtorch (see README, \"GPU and Apple silicon\"), or use --device cpu.");
            }
            return Device.gpu(index);
        }
        if (n.equals("mps")) {
            String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
            String arch = System.getProperty("os.arch", "");
            if (!os.contains("mac") || !arch.equals("aarch64")) {
                throw new DeviceUnavailableException("device mps requested, but MPS exists only on Apple silicon macOS "
                        + "(this is " + os + "/" + arch + "); use --device cpu or cuda.");
            }
            return Device.fromName("mps");
        }
        throw new DeviceUnavailableException("unknown device \"" + name + "\"; use cpu, cuda, cuda:N or mps");
    }

    /** A short name for messages: {@code cpu}, {@code cuda:0}, {@code mps}. */
    public static String describe(Device device) {
        if (device.isGpu()) {
            return "cuda:" + device.getDeviceId();
        }
        return device.getDeviceType();
    }

    /**
     * Loads the PyTorch engine if needed and turns off autograd for the calling thread. Grad mode is
     * thread-local in libtorch, so every thread that runs ops calls this first.
     */
    public static void prepareComputeThread() {
        Engine.getEngine("PyTorch");
        JniUtils.setGradMode(false);
    }

    /** The PyTorch native flavour in use (e.g. {@code cpu}, {@code cu128}), for manifests and messages. */
    public static String flavour() {
        String flavour = System.getenv("PYTORCH_FLAVOR");
        return flavour != null ? flavour : Engine.getEngine("PyTorch").getGpuCount() > 0 ? "cuda" : "cpu";
    }

    private static int parseIndex(String original, String digits) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            throw new DeviceUnavailableException("device \"" + original + "\": the index after cuda: must be a number");
        }
    }
}
