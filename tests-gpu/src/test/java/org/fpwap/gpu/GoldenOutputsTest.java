package org.fpwap.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.fpwap.device.Devices;
import org.fpwap.device.EngineInfo;
import org.fpwap.model.ModelFamily;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Golden-file regression: the device's FP32 outputs for every family, hashed, equal bit for bit what the same
 * (device model, driver, libtorch) triple produced when its file in {@code tests-gpu/golden/} was recorded. A run
 * with no file for its triple compares nothing: it reports "recorded, not compared" (a skip, which
 * {@code scripts/gpu-check} fails on unless {@code --record}). The record/compare logic itself is rehearsed on CPU
 * (into a temporary directory, never the golden one).
 */
class GoldenOutputsTest {

    @TempDir
    Path tmp;

    private Map<String, String> hashes(String device) {
        Map<String, String> out = new LinkedHashMap<>();
        for (ModelFamily family : ModelFamily.values()) {
            Path model = Fixtures.model(tmp.resolve("model-" + family), family);
            Fixtures.Run run = Fixtures.run(model, Fixtures.prompts(), device, 4, false, tmp.resolve("w-" + family),
                    Fixtures.Record.everywhere());
            out.put(family.modelType(), Fixtures.sha256(run));
        }
        return out;
    }

    @Test
    void recordingThenComparingWorksAndAChangeIsCaughtRehearsedOnCpu() {
        Path dir = tmp.resolve("golden");
        Map<String, String> first = hashes("cpu");
        assertEquals(GoldenFile.Outcome.RECORDED, GoldenFile.check(dir, "cpu test/triple", first, true));
        assertEquals(GoldenFile.Outcome.MATCHED, GoldenFile.check(dir, "cpu test/triple", hashes("cpu"), false), "CPU is deterministic");
        Map<String, String> changed = new LinkedHashMap<>(first);
        changed.put("llama", "0".repeat(64));
        assertThrows(AssertionError.class, () -> GoldenFile.check(dir, "cpu test/triple", changed, false));
        assertEquals("cpu_test_triple.json", GoldenFile.fileName("cpu test/triple"));
        // A golden file whose llama hash is that of real, different outputs (gemma's): a real mismatch fails too.
        Map<String, String> other = new LinkedHashMap<>(first);
        other.put("llama", first.get("gemma"));
        GoldenFile.check(tmp.resolve("other"), "cpu", other, true);
        assertThrows(AssertionError.class, () -> GoldenFile.check(tmp.resolve("other"), "cpu", first, false));
    }

    @Test
    void withoutAGoldenFileARunIsRecordedNotComparedAndWritesOnlyACandidate() throws IOException {
        Path dir = tmp.resolve("golden");
        Map<String, String> hashes = Map.of("llama", "a".repeat(64));
        for (int i = 0; i < 2; i++) {
            GoldenFile.Outcome outcome = GoldenFile.check(dir, "gpu x/driver", hashes, false);
            assertEquals(GoldenFile.Outcome.RECORDED_NOT_COMPARED, outcome, "a candidate is never taken for the golden file");
            assertTrue(outcome.report(dir, "gpu x/driver").startsWith("golden outputs for gpu x/driver: recorded, not compared (no golden file"),
                    outcome.report(dir, "gpu x/driver"));
        }
        assertFalse(Files.exists(dir.resolve("gpu_x_driver.json")), "no golden file without --record");
        assertTrue(Files.readString(dir.resolve("gpu_x_driver.candidate.json")).contains("a".repeat(64)));
    }

    @Test
    void aGoldenFileThatDisagreesFailsNamingTheFamilyAndBothHashes() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("golden"));
        // Written by hand, as a file recorded on another day would be: the hash is not this run's.
        Files.writeString(dir.resolve("t.json"), "{\"triple\": \"t\", \"families\": {\"llama\": \"" + "1".repeat(64) + "\"}}\n");
        String m = assertThrows(AssertionError.class, () -> GoldenFile.check(dir, "t", Map.of("llama", "2".repeat(64)), true)).getMessage();
        assertTrue(m.startsWith("llama on t: outputs changed since they were recorded in ") && m.contains("1".repeat(64))
                && m.contains("2".repeat(64)), m);
        String missing = assertThrows(AssertionError.class, () -> GoldenFile.check(dir, "t", Map.of("gemma", "1".repeat(64)), true))
                .getMessage();
        assertTrue(missing.contains("has no hash for gemma"), missing);
    }

    @Nested
    @RequiresDevice
    class OnTheDevice {
        @Test
        void outputsEqualTheGoldenHashesOfThisDeviceDriverAndLibtorch() {
            String device = TestDevice.name();
            String triple = triple(device);
            Path dir = Path.of(System.getProperty("fpwap.golden.dir", "golden"));
            GoldenFile.Outcome outcome = GoldenFile.check(dir, triple, hashes(device), GoldenFile.recordRequested());
            String report = outcome.report(dir, triple);
            System.out.println(report);
            // Nothing was compared: not a pass. scripts/gpu-check fails on this message unless --record was given.
            Assumptions.assumeTrue(outcome != GoldenFile.Outcome.RECORDED_NOT_COMPARED,
                    report.substring(report.indexOf("recorded, not compared")));
        }
    }

    /** {@code <device model>__<driver>__libtorch-<version>-<flavour>}. */
    static String triple(String deviceName) {
        EngineInfo engine = EngineInfo.current();
        String libtorch = "libtorch-" + engine.libtorchVersion() + "-" + engine.flavour();
        Device device = Devices.resolve(deviceName);
        if (device.isGpu()) {
            String smi = command("nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader", "-i",
                    Integer.toString(device.getDeviceId()));
            String model;
            String driver;
            if (smi != null && smi.contains(",")) {
                model = smi.substring(0, smi.indexOf(',')).trim();
                driver = "driver-" + smi.substring(smi.indexOf(',') + 1).trim();
            } else {
                model = "sm" + CudaUtils.getComputeCapability(device.getDeviceId());
                driver = "cuda-" + CudaUtils.getCudaVersionString();
            }
            return model + "__" + driver + "__" + libtorch;
        }
        String chip = command("sysctl", "-n", "machdep.cpu.brand_string");
        String os = command("sw_vers", "-productVersion");
        return (chip == null ? "apple-silicon" : chip) + "__macos-" + (os == null ? "unknown" : os) + "__" + libtorch;
    }

    private static String command(String... argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 && !out.isEmpty() ? out.lines().findFirst().orElse(null) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
