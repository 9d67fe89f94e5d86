package org.fpwap.gpu;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Per-family SHA-256 hashes of a device's FP32 outputs for one (device model, driver, libtorch) triple, in
 * {@code <dir>/<triple>.json}: recorded the first time the triple runs, compared bit for bit afterwards.
 */
final class GoldenFile {

    /** What {@link #check} did. */
    enum Outcome { RECORDED, MATCHED }

    private GoldenFile() {}

    /** A file name for the triple: letters, digits, dot, dash and underscore only. */
    static String fileName(String triple) {
        return triple.replaceAll("[^A-Za-z0-9._-]+", "_") + ".json";
    }

    /**
     * Records {@code hashes} for {@code triple} if no file exists, else compares them with the recorded ones.
     *
     * @throws AssertionError naming the first family whose hash differs, or a family missing from the file
     */
    static Outcome check(Path dir, String triple, Map<String, String> hashes) {
        Path file = dir.resolve(fileName(triple));
        Gson gson = new GsonBuilder().setPrettyPrinting().create();
        try {
            if (!Files.exists(file)) {
                JsonObject root = new JsonObject();
                root.addProperty("triple", triple);
                root.addProperty("what", "SHA-256 of the FP32 activations of GoldenOutputsTest's seeded models and prompts, per family");
                root.add("families", gson.toJsonTree(new LinkedHashMap<>(hashes)));
                Files.createDirectories(dir);
                Files.writeString(file, gson.toJson(root) + "\n", StandardCharsets.UTF_8);
                return Outcome.RECORDED;
            }
            JsonObject root = gson.fromJson(Files.readString(file, StandardCharsets.UTF_8), JsonObject.class);
            JsonObject families = root.getAsJsonObject("families");
            for (var e : hashes.entrySet()) {
                if (!families.has(e.getKey())) {
                    throw new AssertionError(file + " has no hash for " + e.getKey() + "; delete the file to re-record all families");
                }
                String recorded = families.get(e.getKey()).getAsString();
                if (!recorded.equals(e.getValue())) {
                    throw new AssertionError(e.getKey() + " on " + triple + ": outputs changed since they were recorded in " + file
                            + " (recorded " + recorded + ", now " + e.getValue() + ")");
                }
            }
            return Outcome.MATCHED;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or write " + file + ": " + e.getMessage(), e);
        }
    }
}
