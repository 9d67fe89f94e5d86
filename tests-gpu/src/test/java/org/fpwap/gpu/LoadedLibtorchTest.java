package org.fpwap.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The oracle that the engine tests compare with reads each libtorch layout it may meet the way that layout states it. */
class LoadedLibtorchTest {

    @TempDir
    Path tmp;

    @Test
    void djlsCacheDirectoryNamesVersionAndFlavour() {
        assertEquals(Optional.of(new LoadedLibtorch(Path.of("/r/2.7.1-20250812-cpu-linux-x86_64"), "2.7.1", "cpu")),
                LoadedLibtorch.describe(Path.of("/r/2.7.1-20250812-cpu-linux-x86_64")));
        assertEquals("cu128", LoadedLibtorch.describe(Path.of("/r/2.7.1-cu128-linux-x86_64")).orElseThrow().flavour());
    }

    @Test
    void aPipWheelSaysItsVersionAndCudaInTorchVersionPy() throws Exception {
        Path lib = Files.createDirectories(tmp.resolve("site-packages/torch/lib"));
        Files.writeString(lib.resolveSibling("version.py"), "from typing import Optional\n__version__ = '2.11.0+cu130'\n"
                + "debug = False\ncuda: Optional[str] = '13.0'\ngit_version = 'abc'\n");
        assertEquals(Optional.of(new LoadedLibtorch(lib, "2.11.0", "cu130")), LoadedLibtorch.describe(lib));
        Files.writeString(lib.resolveSibling("version.py"), "__version__ = '2.7.1+cpu'\ncuda = None\n");
        assertEquals(Optional.of(new LoadedLibtorch(lib, "2.7.1", "cpu")), LoadedLibtorch.describe(lib));
    }

    @Test
    void aLibtorchArchiveSaysItInBuildVersion() throws Exception {
        Path lib = Files.createDirectories(tmp.resolve("libtorch/lib"));
        Files.writeString(lib.resolveSibling("build-version"), "2.7.1+cu128\n");
        assertEquals(Optional.of(new LoadedLibtorch(lib, "2.7.1", "cu128")), LoadedLibtorch.describe(lib));
        assertTrue(LoadedLibtorch.describe(Files.createDirectories(tmp.resolve("bare/lib"))).isEmpty(), "nothing to go by: no answer");
    }

    @Test
    void thisProcessMapsTheLibtorchOfItsEngine() {
        org.fpwap.device.EngineInfo.current();
        if (Path.of("/proc/self/maps").toFile().canRead()) {
            assertTrue(LoadedLibtorch.mappedLibrary().isPresent(), "libtorch_cpu is in /proc/self/maps once the engine is loaded");
        }
    }
}
