package org.fpwap.gpu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * Test oracle: which libtorch this process has actually mapped, read from the operating system
 * ({@code /proc/self/maps}) and from the files beside that library, not from DJL or {@code EngineInfo}. The version
 * and flavour come from, in order: DJL's cache directory name ({@code 2.7.1-20250812-cpu-linux-x86_64}), a pip
 * wheel's {@code torch/version.py} ({@code __version__ = '2.11.0+cu130'}, {@code cuda = '13.0'}), or a libtorch
 * archive's {@code build-version} ({@code 2.7.1+cu128}).
 *
 * @param libraryDir the directory of the mapped {@code libtorch_cpu} (symbolic links resolved)
 * @param version {@code major.minor.patch}
 * @param flavour {@code cpu}, {@code cu128}, {@code cu130}, ...
 */
public record LoadedLibtorch(Path libraryDir, String version, String flavour) {

    private static final Pattern CACHE_DIR = Pattern.compile("(\\d+\\.\\d+\\.\\d+)(?:-\\d{8})?-(cpu|cu\\d+)(?:-precxx11)?-.+");
    private static final Pattern VERSION = Pattern.compile("(\\d+\\.\\d+\\.\\d+)(?:\\+([a-z0-9]+))?");
    private static final Pattern PY_VERSION = Pattern.compile("(?m)^__version__\\s*=\\s*'([^']+)'");
    private static final Pattern PY_CUDA = Pattern.compile("(?m)^cuda\\s*(?::[^=]*)?=\\s*(?:'([0-9.]+)'|None)");

    /** The libtorch this process mapped (the engine must already be loaded), or empty with no way to tell. */
    public static Optional<LoadedLibtorch> read() {
        return mappedLibrary().flatMap(LoadedLibtorch::describe);
    }

    /** The mapped libtorch, or a JUnit skip saying why it cannot be told on this machine. */
    public static LoadedLibtorch orSkip() {
        Optional<LoadedLibtorch> loaded = read();
        Assumptions.assumeTrue(loaded.isPresent(), "cannot tell from the operating system which libtorch this process mapped "
                + "(no /proc/self/maps, or no DJL cache name, torch/version.py or build-version beside it)");
        return loaded.get();
    }

    /** The directory of {@code libtorch_cpu} in this process's memory map. */
    static Optional<Path> mappedLibrary() {
        Path maps = Path.of("/proc/self/maps");
        if (!Files.isReadable(maps)) {
            return Optional.empty();
        }
        try {
            List<String> lines = Files.readAllLines(maps, StandardCharsets.UTF_8);
            return lines.stream().map(l -> l.substring(l.indexOf('/') < 0 ? l.length() : l.indexOf('/')).trim())
                    .filter(p -> p.endsWith("/libtorch_cpu.so") || p.endsWith("/libtorch_cpu.dylib")).findFirst()
                    .map(p -> Path.of(p).getParent());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Version and flavour of the libtorch in {@code dir}, from its name or the files beside it. */
    static Optional<LoadedLibtorch> describe(Path dir) {
        Matcher cache = CACHE_DIR.matcher(dir.getFileName().toString());
        if (cache.matches()) {
            return Optional.of(new LoadedLibtorch(dir, cache.group(1), cache.group(2)));
        }
        Path parent = dir.getParent();
        if (parent == null) {
            return Optional.empty();
        }
        try {
            Path versionPy = parent.resolve("version.py");
            if (Files.isRegularFile(versionPy)) {
                String py = Files.readString(versionPy, StandardCharsets.UTF_8);
                Matcher v = PY_VERSION.matcher(py);
                Matcher c = PY_CUDA.matcher(py);
                if (v.find()) {
                    Matcher parts = VERSION.matcher(v.group(1));
                    if (parts.matches()) {
                        String flavour = c.find() && c.group(1) != null ? "cu" + c.group(1).replace(".", "")
                                : parts.group(2) != null ? parts.group(2) : "cpu";
                        return Optional.of(new LoadedLibtorch(dir, parts.group(1), flavour));
                    }
                }
            }
            Path buildVersion = parent.resolve("build-version");
            if (Files.isRegularFile(buildVersion)) {
                Matcher parts = VERSION.matcher(Files.readString(buildVersion, StandardCharsets.UTF_8).trim());
                if (parts.matches() && parts.group(2) != null) {
                    return Optional.of(new LoadedLibtorch(dir, parts.group(1), parts.group(2)));
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }
}
