package org.fpwap.device;

import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import ai.djl.pytorch.jni.LibUtils;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which PyTorch native library this JVM actually loaded, as DJL reports it: the libtorch version, its
 * flavour ({@code cpu}, {@code cu128}, ...), where it lives and how DJL found it. Native selection is by
 * classpath ({@code pytorch-native-cpu} present means CPU even on a GPU host) or by the
 * {@code PYTORCH_LIBRARY_PATH}/{@code PYTORCH_VERSION}/{@code PYTORCH_FLAVOR} override; this record is how a
 * run states which one it got (manifest, profile, plan, error messages).
 *
 * @param libtorchVersion the libtorch version DJL loaded, e.g. {@code 2.7.1}
 * @param flavour the native flavour: {@code cpu}, {@code cu128}, ... (from the libtorch directory DJL
 *     extracted or downloaded, else {@code PYTORCH_FLAVOR}, else {@code cuda}/{@code cpu} from the engine's
 *     CUDA capability)
 * @param libraryPath the directory libtorch was loaded from
 * @param source how DJL found it: {@code PYTORCH_LIBRARY_PATH}, the {@code pytorch-native-cpu} jar on the
 *     classpath, or a DJL download cache
 * @param cuda whether the engine was built with CUDA ({@link StandardCapabilities#CUDA})
 * @param cudaDevices CUDA devices the engine sees
 * @param djlVersion the DJL version
 */
public record EngineInfo(String libtorchVersion, String flavour, String libraryPath, String source, boolean cuda,
        int cudaDevices, String djlVersion) {

    /** {@code <version>[-<build date>]-<flavour>-<os>-<arch>}, DJL's name for an extracted or downloaded libtorch. */
    private static final Pattern CACHE_DIR = Pattern.compile("(\\d+\\.\\d+\\.\\d+)(?:-\\d{8})?-([a-z0-9]+)-([a-z]+-[a-z0-9_]+)");

    /** The engine this JVM loaded (loading it if nothing has yet). */
    public static EngineInfo current() {
        Engine engine = Engine.getEngine("PyTorch");
        String path = LibUtils.getLibtorchPath();
        String override = System.getenv("PYTORCH_LIBRARY_PATH");
        boolean cuda = engine.hasCapability(StandardCapabilities.CUDA);
        String flavour = flavourOf(path, System.getenv("PYTORCH_FLAVOR"), cuda);
        String source;
        if (override != null && !override.isBlank()) {
            source = "PYTORCH_LIBRARY_PATH=" + override;
        } else if (EngineInfo.class.getClassLoader().getResource("native/lib/pytorch.properties") != null) {
            source = "the ai.djl.pytorch:pytorch-native-" + flavour + " jar on the classpath";
        } else {
            source = "DJL's download cache (no native jar on the classpath)";
        }
        return new EngineInfo(LibUtils.getVersion(), flavour, path, source, cuda, engine.getGpuCount(), Engine.getDjlVersion());
    }

    /**
     * The flavour from DJL's libtorch directory name (e.g. {@code 2.7.1-20250812-cpu-linux-x86_64} gives
     * {@code cpu}); for a user-supplied libtorch ({@code PYTORCH_LIBRARY_PATH}), {@code PYTORCH_FLAVOR}; else
     * what the engine's capabilities say.
     */
    static String flavourOf(String libraryPath, String flavourEnv, boolean cuda) {
        if (libraryPath != null) {
            Path name = Path.of(libraryPath).getFileName();
            if (name != null) {
                Matcher m = CACHE_DIR.matcher(name.toString());
                if (m.matches()) {
                    return m.group(2);
                }
            }
        }
        if (flavourEnv != null && !flavourEnv.isBlank()) {
            return flavourEnv.trim();
        }
        return cuda ? "cuda" : "cpu";
    }

    /** Whether this is a CPU-only build of libtorch. */
    public boolean cpuOnly() {
        return !cuda && flavour.startsWith("cpu");
    }

    /** One line for messages and the plan, e.g. {@code PyTorch 2.7.1 (flavour cpu, from ...; CUDA: no)}. */
    public String describe() {
        return "PyTorch " + libtorchVersion + " (flavour " + flavour + ", from " + source + ", at " + libraryPath + "; CUDA: "
                + (cuda ? cudaDevices + " device(s)" : "not built in") + ")";
    }

    /** The {@code engine} object of {@code manifest.json} and {@code profile.json}. */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("name", "PyTorch");
        o.addProperty("libtorch_version", libtorchVersion);
        o.addProperty("flavour", flavour);
        o.addProperty("library_path", libraryPath);
        o.addProperty("source", source);
        o.addProperty("cuda", cuda);
        o.addProperty("cuda_devices", cudaDevices);
        o.addProperty("djl_version", djlVersion);
        o.addProperty("tf32_on_cuda", Devices.TF32_STATEMENT);
        return o;
    }
}
