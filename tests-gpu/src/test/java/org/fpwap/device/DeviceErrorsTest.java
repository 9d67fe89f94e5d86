package org.fpwap.device;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.util.List;
import java.util.Locale;
import org.fpwap.gpu.LoadedLibtorch;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Every way a device request can fail says what is missing and how to get it, before any work and without
 * a JVM abort. Runs on CPU; the cases a CPU machine cannot produce (a CUDA engine with one, two or no visible
 * GPUs, a libtorch other than DJL's 2.7.1) go through the same check with a simulated {@link EngineInfo}, so they
 * run on every machine; the tests about the engine this JVM loaded compare with what the operating system says
 * was mapped ({@link LoadedLibtorch}), never with a version literal.
 */
class DeviceErrorsTest {

    private static final EngineInfo CPU_ENGINE = new EngineInfo("2.7.1", "cpu", "/x/2.7.1-20250812-cpu-linux-x86_64",
            "the ai.djl.pytorch:pytorch-native-cpu jar on the classpath", false, 0, "0.35.1");
    private static final EngineInfo CUDA_ENGINE = new EngineInfo("2.7.1", "cu128", "/x/2.7.1-cu128-linux-x86_64",
            "DJL's download cache (no native jar on the classpath)", true, 2, "0.35.1");
    /** A site's own PyTorch (the lent H200: pip torch 2.11.0+cu130 through PYTORCH_LIBRARY_PATH) with one GPU. */
    static final EngineInfo ONE_GPU_2_11 = new EngineInfo("2.11.0", "cu130", "/tmp/torchlib", "PYTORCH_LIBRARY_PATH=/tmp/torchlib",
            true, 1, "0.35.1");
    private static final List<String> NAMES = List.of("cpu", "cuda", "gpu", "cuda:0", "cuda:1", "cuda:2");

    /**
     * The rule, from the specification: {@code cuda} (and {@code gpu}, {@code cuda:0}) needs at least one visible GPU,
     * {@code cuda:N} needs more than N; {@code cpu} is always there.
     */
    static boolean present(String name, int visibleGpus) {
        return switch (name) {
            case "cpu" -> true;
            case "cuda", "gpu" -> visibleGpus > 0;
            default -> visibleGpus > Integer.parseInt(name.substring("cuda:".length()));
        };
    }

    @Test
    void eachCudaNameIsPresentExactlyWhenTheEngineSeesEnoughGpus() {
        for (EngineInfo engine : List.of(CPU_ENGINE, ONE_GPU_2_11, CUDA_ENGINE,
                new EngineInfo("2.11.0", "cu130", "/x", "s", true, 0, "0.35.1"))) {
            for (String name : NAMES) {
                boolean expected = present(name, engine.cudaDevices());
                try {
                    Device d = Devices.resolve(name, () -> engine);
                    assertTrue(expected, name + " resolved to " + d + " on " + engine.describe() + " although it should be missing");
                } catch (DeviceUnavailableException e) {
                    assertTrue(!expected, name + " was refused on " + engine.describe() + ": " + e.getMessage());
                    assertTrue(e.getMessage().startsWith("device " + name + " requested"), e.getMessage());
                }
            }
        }
    }

    @Test
    void onOneGpuCudaIsCudaZeroAndCudaOneIsOutOfRange() {
        assertEquals(Device.gpu(0), Devices.resolve("cuda", () -> ONE_GPU_2_11));
        assertEquals(Device.gpu(0), Devices.resolve("cuda:0", () -> ONE_GPU_2_11));
        String m = assertThrows(DeviceUnavailableException.class, () -> Devices.resolve("cuda:1", () -> ONE_GPU_2_11)).getMessage();
        assertTrue(m.startsWith("device cuda:1 requested, but the PyTorch engine sees only 1 CUDA device(s): use cuda:0 (engine flavour: "
                + "cu130"), m);
    }

    @Test
    void aSimulatedEngineDescribesItselfWithItsOwnVersionFlavourAndSource() {
        String d = ONE_GPU_2_11.describe();
        assertEquals("PyTorch 2.11.0 (flavour cu130, from PYTORCH_LIBRARY_PATH=/tmp/torchlib, at /tmp/torchlib; CUDA: 1 device(s))", d);
        assertEquals("2.11.0", ONE_GPU_2_11.toJson().get("libtorch_version").getAsString());
        assertEquals("cu130", ONE_GPU_2_11.toJson().get("flavour").getAsString());
        assertEquals(1, ONE_GPU_2_11.toJson().get("cuda_devices").getAsInt());
        assertTrue(!ONE_GPU_2_11.cpuOnly() && CPU_ENGINE.cpuOnly());
    }

    @Test
    void cudaOnACpuOnlyEngineNamesTheLoadedFlavourAndHowToGetCuda() {
        assertNamesTheCpuOnlyEngineAndHowToGetCuda(assertThrows(DeviceUnavailableException.class,
                () -> Devices.resolve("cuda", () -> CPU_ENGINE)).getMessage(), CPU_ENGINE);
    }

    @Test
    void cudaOnTheCpuOnlyEngineNamesTheLoadedFlavourAndHowToGetCuda() {
        EngineInfo here = EngineInfo.current();
        Assumptions.assumeTrue(here.cpuOnly(), "needs a CPU-only engine; this JVM loaded " + here.describe()
                + " (the simulated CPU-only case above runs everywhere)");
        assertNamesTheCpuOnlyEngineAndHowToGetCuda(assertThrows(DeviceUnavailableException.class, () -> Devices.resolve("cuda"))
                .getMessage(), here);
    }

    private static void assertNamesTheCpuOnlyEngineAndHowToGetCuda(String m, EngineInfo engine) {
        assertTrue(m.startsWith("device cuda requested, but the PyTorch engine sees 0 CUDA device(s) (engine flavour: "
                + engine.flavour() + ")"), m);
        for (String needed : new String[] {"CPU-only libtorch", engine.describe(), "pytorch-native-cpu", "-Pcuda",
                "PYTORCH_LIBRARY_PATH", "PYTORCH_VERSION=2.7.1", "PYTORCH_FLAVOR=cu128", "libdjl_torch.so built against it",
                "--device cpu"}) {
            assertTrue(m.contains(needed), "message names " + needed + ": " + m);
        }
    }

    @Test
    void cudaWithAnIndexOnTheCpuOnlyEngineNamesThatDevice() {
        String m = assertThrows(DeviceUnavailableException.class, () -> Devices.resolve("cuda:3", () -> CPU_ENGINE)).getMessage();
        assertTrue(m.startsWith("device cuda:3 requested"), m);
    }

    @Test
    void aCudaIndexOutOfRangeListsTheValidOnes() {
        assertDoesNotThrow(() -> Devices.checkCuda("cuda:1", 1, 2, CUDA_ENGINE));
        String m = assertThrows(DeviceUnavailableException.class, () -> Devices.checkCuda("cuda:2", 2, 2, CUDA_ENGINE)).getMessage();
        assertTrue(m.startsWith("device cuda:2 requested, but the PyTorch engine sees only 2 CUDA device(s): use cuda:0 to cuda:1"), m);
        assertTrue(m.contains("CUDA_VISIBLE_DEVICES"), m);
    }

    @Test
    void aCudaEngineThatSeesNoGpuSaysTheDriverOrVisibilityIsTheProblem() {
        EngineInfo noGpu = new EngineInfo("2.7.1", "cu128", "/x", "s", true, 0, "0.35.1");
        String m = assertThrows(DeviceUnavailableException.class, () -> Devices.checkCuda("cuda", 0, 0, noGpu)).getMessage();
        assertTrue(m.contains("although it is built with CUDA") && m.contains("nvidia-smi"), m);
        String cpu = assertThrows(DeviceUnavailableException.class, () -> Devices.checkCuda("cuda", 0, 0, CPU_ENGINE)).getMessage();
        assertTrue(cpu.contains("CPU-only libtorch"), cpu);
    }

    @Test
    void badCudaIndicesAreRejectedByName() {
        assertEquals("device \"cuda:-1\": the CUDA device index must be 0 or more, got -1",
                assertThrows(DeviceUnavailableException.class, () -> Devices.resolve("cuda:-1")).getMessage());
        assertEquals("device \"cuda:x\": the index after cuda: must be a number, got \"x\"",
                assertThrows(DeviceUnavailableException.class, () -> Devices.resolve("cuda:x")).getMessage());
        assertEquals("unknown device \"tpu\"; use cpu, cuda, cuda:N or mps",
                assertThrows(DeviceUnavailableException.class, () -> Devices.resolve("tpu")).getMessage());
    }

    @Test
    void mpsOffAppleSiliconSaysWhereMpsExists() {
        String linux = assertThrows(DeviceUnavailableException.class, () -> Devices.checkMpsPlatform("Linux", "amd64")).getMessage();
        assertEquals("device mps requested, but MPS exists only on Apple silicon macOS (this is linux/amd64); use --device cpu or cuda.",
                linux);
        String intelMac = assertThrows(DeviceUnavailableException.class, () -> Devices.checkMpsPlatform("Mac OS X", "x86_64"))
                .getMessage();
        assertTrue(intelMac.contains("(this is mac os x/x86_64); use --device cpu."), intelMac);
        assertDoesNotThrow(() -> Devices.checkMpsPlatform("Mac OS X", "aarch64"));
        if (!System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).startsWith("mac")) {
            String here = assertThrows(DeviceUnavailableException.class, () -> Devices.resolve("mps")).getMessage();
            assertTrue(here.startsWith("device mps requested, but MPS exists only on Apple silicon macOS"), here);
        }
    }

    @Test
    void theEngineFlavourComesFromTheLibtorchDjlLoaded() {
        assertEquals("cpu", EngineInfo.flavourOf("/root/.djl.ai/pytorch/2.7.1-20250812-cpu-linux-x86_64", null, false));
        assertEquals("cu128", EngineInfo.flavourOf("/root/.djl.ai/pytorch/2.7.1-cu128-linux-x86_64", "cpu", true));
        assertEquals("cpu", EngineInfo.flavourOf("/opt/homebrew/2.7.1-cpu-osx-aarch64", null, false));
        assertEquals("cu128", EngineInfo.flavourOf("/opt/libtorch", "cu128", true), "a user libtorch: PYTORCH_FLAVOR");
        assertEquals("cuda", EngineInfo.flavourOf("/opt/libtorch", null, true), "nothing else: the capability");
        assertEquals("cu130", EngineInfo.flavourOf("/tmp/torchlib", "cu130", true), "a site's PyTorch 2.11 through PYTORCH_LIBRARY_PATH");
    }

    @Test
    void theLoadedEngineIsTheLibtorchTheProcessMapped() {
        EngineInfo here = EngineInfo.current();
        LoadedLibtorch mapped = LoadedLibtorch.orSkip();
        assertEquals(mapped.version(), here.libtorchVersion(), "version of " + mapped.libraryDir() + " vs " + here.describe());
        assertEquals(mapped.flavour(), here.flavour(), "flavour of " + mapped.libraryDir() + " vs " + here.describe());
        assertEquals(mapped.flavour().startsWith("cu"), here.cuda(), here.describe());
        assertTrue(here.describe().startsWith("PyTorch " + mapped.version() + " (flavour " + mapped.flavour() + ", "), here.describe());
        String lower = here.describe().toLowerCase(Locale.ROOT);
        assertTrue(lower.contains(here.cuda() ? "cuda: " + here.cudaDevices() + " device(s)" : "cuda: not built in"), lower);
    }
}
