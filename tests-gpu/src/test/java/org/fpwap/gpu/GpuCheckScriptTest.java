package org.fpwap.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/gpu-check} on libtorch layouts a GPU machine may have, built here as empty files in the real
 * layouts (a pip wheel's {@code torch/lib} reached through a directory of symbolic links, as the offline bundle makes
 * it; a libtorch archive): it takes the version and flavour the library states rather than forcing 2.7.1/cu128, and
 * stops with one clear message when DJL's JNI cannot match it ({@code --check-libtorch} stops before building). Also
 * the scan of surefire's reports that makes it fail on device skips and on golden outputs "recorded, not compared".
 */
class GpuCheckScriptTest {

    @TempDir
    Path tmp;

    private Path root;

    /** Output and exit status of a script run. */
    record Ran(int status, String out) {}

    @BeforeEach
    void findScript() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("scripts/gpu-check"))) {
            dir = dir.getParent();
        }
        Assumptions.assumeTrue(dir != null, "scripts/gpu-check not found above " + Path.of("").toAbsolutePath());
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "needs bash");
        root = dir;
    }

    private Ran run(Map<String, String> env, String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("PYTORCH_"));
        pb.environment().put("ENGINE_CACHE_DIR", tmp.resolve("djl-cache").toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "script did not finish: " + out);
        return new Ran(p.exitValue(), out);
    }

    private Ran checkLibtorch(Path libraryPath, Map<String, String> extra) throws Exception {
        Map<String, String> env = new java.util.HashMap<>(extra);
        env.put("PYTORCH_LIBRARY_PATH", libraryPath.toString());
        return run(env, "bash", "scripts/gpu-check", "--device", "cuda", "--check-libtorch");
    }

    /** {@code site-packages/torch/lib} of a pip PyTorch 2.11.0+cu130, and {@code torchlib/} linking to it. */
    private Path sitePyTorch211() throws IOException {
        Path lib = Files.createDirectories(tmp.resolve("site-packages/torch/lib"));
        Files.writeString(lib.resolve("libtorch.so"), "");
        Files.writeString(lib.resolveSibling("version.py"), "from typing import Optional\n__version__ = '2.11.0+cu130'\n"
                + "cuda: Optional[str] = '13.0'\n");
        Path links = Files.createDirectories(tmp.resolve("torchlib"));
        Files.createSymbolicLink(links.resolve("libtorch.so"), lib.resolve("libtorch.so"));
        return links;
    }

    @Test
    void aSitesPyTorchWithItsOwnJniIsUsedAtTheVersionItStates() throws Exception {
        Path links = sitePyTorch211();
        Files.writeString(links.resolve("libdjl_torch.so"), "");
        Ran r = checkLibtorch(links, Map.of());
        assertEquals(0, r.status(), r.out());
        assertTrue(r.out().contains("(PYTORCH_VERSION=2.11.0 PYTORCH_FLAVOR=cu130)"), r.out());
        assertTrue(r.out().contains("DJL's JNI: " + links.resolve("libdjl_torch.so")), r.out());
    }

    @Test
    void withoutAJniForThatVersionItStopsNamingBothVersions() throws Exception {
        Ran r = checkLibtorch(sitePyTorch211(), Map.of());
        assertEquals(1, r.status(), r.out());
        assertTrue(r.out().contains("is built for libtorch 2.7.1 (cpu cu128), but the libtorch in " + tmp.resolve("torchlib")
                + " is 2.11.0 (cu130), and no libdjl_torch.so built against it was found"), r.out());
        assertTrue(!r.out().contains("PYTORCH_VERSION=2.7.1"), "nothing forced: " + r.out());
    }

    @Test
    void aPytorchVersionThatContradictsTheLibraryIsRefused() throws Exception {
        Path links = sitePyTorch211();
        Files.writeString(links.resolve("libdjl_torch.so"), "");
        Ran r = checkLibtorch(links, Map.of("PYTORCH_VERSION", "2.7.1", "PYTORCH_FLAVOR", "cu128"));
        assertEquals(1, r.status(), r.out());
        assertTrue(r.out().contains("PYTORCH_VERSION=2.7.1, but the libtorch in " + links + " is 2.11.0"), r.out());
    }

    @Test
    void aLibtorchArchiveOfDjlsOwnVersionUsesTheJarsJni() throws Exception {
        Path lib = Files.createDirectories(tmp.resolve("libtorch/lib"));
        Files.writeString(lib.resolve("libtorch.so"), "");
        Files.writeString(lib.resolveSibling("build-version"), "2.7.1+cu128\n");
        Ran r = checkLibtorch(lib, Map.of());
        assertEquals(0, r.status(), r.out());
        assertTrue(r.out().contains("(PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR=cu128)") && r.out().contains("the one in the pytorch-jni jar"),
                r.out());
    }

    @Test
    void aDirectoryWithoutLibtorchIsNamed() throws Exception {
        Ran r = checkLibtorch(Files.createDirectories(tmp.resolve("empty")), Map.of());
        assertEquals(1, r.status(), r.out());
        assertTrue(r.out().contains("PYTORCH_LIBRARY_PATH=" + tmp.resolve("empty") + " holds no libtorch.so"), r.out());
    }

    @Test
    void theReportScanFindsDeviceSkipsAndGoldenOutputsRecordedNotCompared() throws Exception {
        Path reports = Files.createDirectories(tmp.resolve("surefire-reports"));
        // The two forms surefire writes (seen in tests-gpu's own reports): a disabled test, and a failed assumption.
        Files.writeString(reports.resolve("TEST-org.fpwap.gpu.OnDeviceTest.xml"), """
                <testsuite name="org.fpwap.gpu.OnDeviceTest"><testcase name="a">
                    <skipped message="no CUDA or MPS device on this machine (Linux/amd64)"/>
                </testcase></testsuite>
                """);
        Files.writeString(reports.resolve("TEST-org.fpwap.gpu.GoldenOutputsTest.xml"), """
                <testsuite name="org.fpwap.gpu.GoldenOutputsTest"><testcase name="b" classname="org.fpwap.gpu.GoldenOutputsTest$OnTheDevice">
                    <skipped type="org.opentest4j.TestAbortedException"><![CDATA[org.opentest4j.TestAbortedException: Assumption failed: \
                recorded, not compared (no golden file /g/x.json; this run's hashes are in /g/x.candidate.json)
                	at org.junit.jupiter.api.Assumptions.throwAssumptionFailed(Assumptions.java:321)
                ]]></skipped></testcase></testsuite>
                """);
        String lib = root.resolve("scripts/lib/gpu-check.sh").toString();
        Ran golden = run(Map.of(), "bash", "-c", "source \"$0\"; fpwap_skip_messages \"$1\" 'recorded, not compared'", lib, reports.toString());
        assertEquals(List.of("recorded, not compared (no golden file /g/x.json; this run's hashes are in /g/x.candidate.json)"),
                golden.out().lines().toList());
        Ran device = run(Map.of(), "bash", "-c", "source \"$0\"; fpwap_skip_messages \"$1\" 'no CUDA or MPS device|is not usable'", lib,
                reports.toString());
        assertEquals(List.of("no CUDA or MPS device on this machine (Linux/amd64)"), device.out().lines().toList());
        Ran none = run(Map.of(), "bash", "-c", "source \"$0\"; fpwap_skip_messages \"$1\" 'recorded, not compared'", lib,
                tmp.resolve("no-reports").toString());
        assertEquals("", none.out());
    }
}
