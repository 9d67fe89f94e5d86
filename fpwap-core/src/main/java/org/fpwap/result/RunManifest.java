package org.fpwap.result;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.fpwap.device.EngineInfo;
import org.fpwap.model.ModelFingerprint;
import org.fpwap.model.ModelSpec;

/**
 * {@code OUT/manifest.json}: what was run on what (model path and fingerprint, options, versions) and
 * which files it produced. Written last and atomically, so its presence means the outputs it lists are
 * complete.
 */
public final class RunManifest {

    /** Bumped when the output layout changes. */
    public static final int FORMAT_VERSION = 1;

    private RunManifest() {}

    /**
     * Writes {@code dir/manifest.json}.
     *
     * @param options the run's options as the caller names them (e.g. the CLI's flags)
     * @param outputs the files the run wrote
     */
    public static Path write(Path dir, Path modelDir, ModelSpec spec, JsonObject options, long samples, long tokens,
            List<Path> outputs) {
        JsonObject root = new JsonObject();
        root.addProperty("format_version", FORMAT_VERSION);
        JsonObject model = new JsonObject();
        model.addProperty("path", modelDir.toAbsolutePath().toString());
        model.addProperty("fingerprint", ModelFingerprint.of(modelDir));
        model.addProperty("family", spec.family().modelType());
        model.addProperty("layers", spec.numLayers());
        model.addProperty("hidden_size", spec.hiddenSize());
        root.add("model", model);
        root.add("options", options.deepCopy());
        root.addProperty("samples", samples);
        root.addProperty("tokens", tokens);
        JsonArray files = new JsonArray();
        Path base = dir.toAbsolutePath();
        outputs.forEach(p -> files.add(base.relativize(p.toAbsolutePath()).toString()));
        root.add("outputs", files);
        JsonObject versions = new JsonObject();
        String version = RunManifest.class.getPackage().getImplementationVersion();
        versions.addProperty("fpwap", version == null ? "dev" : version);
        versions.addProperty("java", Runtime.version().toString());
        versions.addProperty("djl", ai.djl.engine.Engine.getDjlVersion());
        EngineInfo engine = EngineInfo.current();
        versions.addProperty("pytorch_flavour", engine.flavour());
        versions.addProperty("libtorch", engine.libtorchVersion());
        root.add("versions", versions);
        root.add("engine", engine.toJson());

        Path target = dir.resolve("manifest.json");
        Path temp = dir.resolve(".manifest.json.tmp");
        try {
            Files.writeString(temp, new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(root) + "\n",
                    StandardCharsets.UTF_8);
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
        return target;
    }
}
