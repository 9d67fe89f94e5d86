package org.fpwap.device;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Every way a device request can fail says what is missing and how to get it, before any work and without
 * a JVM abort. Runs on CPU; the cases a CPU machine cannot produce (a CUDA engine with too few or no visible
 * GPUs) go through the same check with the counts given.
 */
class DeviceErrorsTest {

    private static final EngineInfo CPU_ENGINE = new EngineInfo("2.7.1", "cpu", "/x/2.7.1-20250812-cpu-linux-x86_64",
            "the ai.djl.pytorch:pytorch-native-cpu jar on the classpath", false, 0, "0.35.1");
    private static final EngineInfo CUDA_ENGINE = new EngineInfo("2.7.1", "cu128", "/x/2.7.1-cu128-linux-x86_64",
            "DJL's download cache (no native jar on the classpath)", true, 2, "0.35.1");

    @Test
    void cudaOnTheCpuOnlyEngineNamesTheLoadedFlavourAndHowToGetCuda() {
        String m = assertThrows(DeviceUnavailableException.class, () -> Devices.resolve("cuda")).getMessage();
        assertTrue(m.startsWith("device cuda requested, but the PyTorch engine sees 0 CUDA device(s) (engine flavour: cpu)"), m);
        for (String needed : new String[] {"CPU-only libtorch", "pytorch-native-cpu", "-Pcuda", "PYTORCH_LIBRARY_PATH",
                "PYTORCH_VERSION=2.7.1", "PYTORCH_FLAVOR=cu128", "--device cpu"}) {
            assertTrue(m.contains(needed), "message names " + needed + ": " + m);
        }
    }

    @Test
    void cudaWithAnIndexOnTheCpuOnlyEngineNamesThatDevice() {
        String m = assertThrows(DeviceUnavailableException.class, () -> Devices.resolve("cuda:3")).getMessage();
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
        EngineInfo here = EngineInfo.current();
        assertEquals("2.7.1", here.libtorchVersion());
        if (here.cpuOnly()) {
            assertEquals("cpu", here.flavour());
            assertTrue(here.describe().contains("flavour cpu"), here.describe());
        }
    }
}
