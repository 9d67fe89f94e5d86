package org.fpwap.device;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Resolves a device name ({@code cpu}, {@code cuda}, {@code cuda:N}, {@code mps}) to a DJL device that is
 * present, before any work starts, so a missing GPU is a clear error rather than a JVM abort. Each failure
 * says what is missing (no such device, an index out of range, a CPU-only libtorch, MPS off Apple silicon)
 * and how to get it.
 */
public final class Devices {

    /**
     * What a plan and a manifest say about TF32. DJL 0.35 exposes no switch or query for
     * {@code torch.backends.cuda.matmul.allow_tf32}; libtorch's default has been off for matmul since
     * PyTorch 1.12, and the cuDNN convolution default (on) does not matter because fpwap runs no convolutions.
     */
    public static final String TF32_STATEMENT =
            "off (PyTorch default for matmul since 1.12; fpwap runs no convolutions; DJL exposes no TF32 switch)";

    private static final String HOW_TO_GET_CUDA = "To use a GPU: build with the CUDA profile (mvn -Pcuda ..., which leaves "
            + "the pytorch-native-cpu jar off the classpath) on a machine with an NVIDIA driver, then either let DJL download "
            + "the CUDA libtorch once (run once without -Dai.djl.offline=true) or point PYTORCH_LIBRARY_PATH at a CUDA "
            + "libtorch 2.7.1 with PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR=cu128 (another libtorch version, such as a site's "
            + "own PyTorch, needs a libdjl_torch.so built against it in that directory, and PYTORCH_VERSION/PYTORCH_FLAVOR "
            + "set to match; scripts/gpu-check checks this) (see README, \"GPU and Apple silicon\"); or use --device cpu.";

    private Devices() {}

    /** The device called {@code name}, checked to exist with the loaded PyTorch engine. */
    public static Device resolve(String name) {
        return resolve(name, EngineInfo::current);
    }

    /**
     * The device called {@code name}, checked against {@code engine} (asked only for CUDA names): the seam through
     * which tests describe engines this machine does not have (a one-GPU CUDA build, a CPU-only one); package-private.
     */
    static Device resolve(String name, Supplier<EngineInfo> engine) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (n.equals("cpu")) {
            return Device.cpu();
        }
        if (n.equals("cuda") || n.equals("gpu") || n.startsWith("cuda:")) {
            int index = n.startsWith("cuda:") ? parseIndex(name, n.substring(5)) : 0;
            EngineInfo loaded = engine.get();
            checkCuda(name, index, loaded.cudaDevices(), loaded);
            return Device.gpu(index);
        }
        if (n.equals("mps")) {
            checkMpsPlatform(System.getProperty("os.name", ""), System.getProperty("os.arch", ""));
            Device mps = Device.fromName("mps");
            checkMpsUsable(mps);
            return mps;
        }
        throw new DeviceUnavailableException("unknown device \"" + name + "\"; use cpu, cuda, cuda:N or mps");
    }

    /** Fails unless CUDA device {@code index} is among the {@code count} the engine sees; package-private for tests. */
    static void checkCuda(String name, int index, int count, EngineInfo engine) {
        if (index < count) {
            return;
        }
        String loaded = "The loaded engine is " + engine.describe() + ".";
        if (count == 0 && engine.cpuOnly()) {
            throw new DeviceUnavailableException("device " + name + " requested, but the PyTorch engine sees 0 CUDA device(s) "
                    + "(engine flavour: " + engine.flavour() + "): this is a CPU-only libtorch. " + loaded + " " + HOW_TO_GET_CUDA);
        }
        if (count == 0) {
            throw new DeviceUnavailableException("device " + name + " requested, but the PyTorch engine sees 0 CUDA device(s) "
                    + "(engine flavour: " + engine.flavour() + ") although it is built with CUDA: no GPU is visible to this "
                    + "process (check nvidia-smi, the NVIDIA driver, and CUDA_VISIBLE_DEVICES). " + loaded);
        }
        throw new DeviceUnavailableException("device " + name + " requested, but the PyTorch engine sees only " + count
                + " CUDA device(s): use cuda:0" + (count > 1 ? " to cuda:" + (count - 1) : "") + " (engine flavour: "
                + engine.flavour() + "; CUDA_VISIBLE_DEVICES=" + System.getenv().getOrDefault("CUDA_VISIBLE_DEVICES", "(unset)") + ").");
    }

    /** Fails unless this is Apple silicon macOS, the only platform with MPS; package-private for tests. */
    static void checkMpsPlatform(String osName, String arch) {
        String os = osName.toLowerCase(Locale.ROOT);
        if (!os.contains("mac") || !(arch.equals("aarch64") || arch.equals("arm64"))) {
            throw new DeviceUnavailableException("device mps requested, but MPS exists only on Apple silicon macOS "
                    + "(this is " + os + "/" + arch + "); use --device cpu" + (os.contains("mac") ? "." : " or cuda."));
        }
    }

    /** Creates one tiny tensor on MPS: a libtorch without MPS fails here with a message, not later mid-run. */
    private static void checkMpsUsable(Device mps) {
        EngineInfo engine = EngineInfo.current();
        try (NDManager manager = NDManager.newBaseManager(mps)) {
            manager.create(new float[] {0f}).close();
        } catch (EngineException | IllegalArgumentException e) {
            throw new DeviceUnavailableException("device mps requested, but the loaded libtorch cannot use it: " + e.getMessage()
                    + ". The loaded engine is " + engine.describe() + ". MPS needs the macOS arm64 CPU natives "
                    + "(ai.djl.pytorch:pytorch-native-cpu:2.7.1:osx-aarch64, which the default build selects on Apple silicon) "
                    + "and macOS 12.3 or later; or use --device cpu.");
        }
    }

    /** A short name for messages: {@code cpu}, {@code cuda:0}, {@code mps}. */
    public static String describe(Device device) {
        if (device.isGpu()) {
            return "cuda:" + device.getDeviceId();
        }
        return device.getDeviceType();
    }

    /** Whether tensors on {@code device} live in host memory that DJL can wrap without copying (CPU only). */
    public static boolean isHost(Device device) {
        return Device.Type.CPU.equals(device.getDeviceType());
    }

    /** Whether {@code device} is Apple's MPS (unified memory, no FP64). */
    public static boolean isMps(Device device) {
        return "mps".equals(device.getDeviceType());
    }

    /**
     * Loads the PyTorch engine if needed and turns off autograd for the calling thread. Grad mode is
     * thread-local in libtorch, so every thread that runs ops calls this first.
     */
    public static void prepareComputeThread() {
        Engine.getEngine("PyTorch");
        JniUtils.setGradMode(false);
    }

    private static int parseIndex(String original, String digits) {
        int index;
        try {
            index = Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            throw new DeviceUnavailableException("device \"" + original + "\": the index after cuda: must be a number, got \""
                    + digits + "\"");
        }
        if (index < 0) {
            throw new DeviceUnavailableException("device \"" + original + "\": the CUDA device index must be 0 or more, got "
                    + index);
        }
        return index;
    }
}
