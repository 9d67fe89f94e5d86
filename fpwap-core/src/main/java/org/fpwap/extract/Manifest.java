package org.fpwap.extract;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.fpwap.device.Devices;
import org.fpwap.model.ModelSpec;

/**
 * {@code OUT/manifest.json}: what was run on what, so a result can be traced to its model and options.
 * Written last, so its presence means the outputs it lists are complete.
 */
final class Manifest {

    /** Bumped when the output layout changes. */
    static final int FORMAT_VERSION = 1;

    private Manifest() {}

    /**
     * SHA-256 over {@code config.json} and the names and sizes of the safetensors files: cheap (no weight
     * bytes read) and changes whenever the model does in any way that matters in practice.
     */
    static String fingerprint(Path modelDir) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(Files.readAllBytes(modelDir.resolve("config.json")));
            try (Stream<Path> files = Files.list(modelDir)) {
                for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".safetensors")
                        || p.getFileName().toString().endsWith(".index.json")).sorted().toList()) {
                    sha.update((f.getFileName() + ":" + Files.size(f) + "\n").getBytes(StandardCharsets.UTF_8));
                }
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fingerprint " + modelDir + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }

    static Path write(ExtractOptions o, ModelSpec spec, String fingerprint, int samples, long tokens, List<Path> outputs) {
        JsonObject root = new JsonObject();
        root.addProperty("format_version", FORMAT_VERSION);
        JsonObject model = new JsonObject();
        model.addProperty("path", o.model().toAbsolutePath().toString());
        model.addProperty("fingerprint", fingerprint);
        model.addProperty("family", spec.family().modelType());
        model.addProperty("layers", spec.numLayers());
        model.addProperty("hidden_size", spec.hiddenSize());
        root.add("model", model);
        JsonObject opts = new JsonObject();
        opts.addProperty("input", o.input().toAbsolutePath().toString());
        JsonArray layers = new JsonArray();
        o.layers().ifPresent(ls -> ls.forEach(layers::add));
        opts.add("layers", o.layers().isPresent() ? layers : null);
        JsonArray hooks = new JsonArray();
        o.hooks().stream().map(h -> h.wireName()).sorted().forEach(hooks::add);
        opts.add("hooks", hooks);
        opts.addProperty("pool", o.pool().wireName());
        opts.addProperty("final_norm", o.finalNorm());
        opts.addProperty("format", o.format().name().toLowerCase(java.util.Locale.ROOT));
        opts.addProperty("microbatch", o.microbatch());
        opts.addProperty("device", o.device());
        root.add("options", opts);
        root.addProperty("samples", samples);
        root.addProperty("tokens", tokens);
        JsonArray files = new JsonArray();
        outputs.forEach(p -> files.add(o.out().toAbsolutePath().relativize(p.toAbsolutePath()).toString()));
        root.add("outputs", files);
        JsonObject versions = new JsonObject();
        versions.addProperty("fpwap", Manifest.class.getPackage().getImplementationVersion() == null
                ? "dev" : Manifest.class.getPackage().getImplementationVersion());
        versions.addProperty("java", Runtime.version().toString());
        versions.addProperty("djl", ai.djl.engine.Engine.getDjlVersion());
        versions.addProperty("pytorch_flavour", Devices.flavour());
        root.add("versions", versions);

        Path target = o.out().resolve("manifest.json");
        Path temp = o.out().resolve(".manifest.json.tmp");
        try {
            Files.writeString(temp, new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(root) + "\n");
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
        return target;
    }
}
