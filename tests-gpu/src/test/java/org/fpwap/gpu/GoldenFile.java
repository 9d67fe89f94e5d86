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
 * {@code <dir>/<triple>.json}, compared bit for bit. A first run on a triple has nothing to compare with: it writes
 * its hashes as a candidate ({@code <triple>.candidate.json}) and says "recorded, not compared", which
 * {@code scripts/gpu-check} treats as a failure; only a run told to record ({@code -Dfpwap.golden.record=true},
 * {@code scripts/gpu-check --record}) after its other checks were reviewed writes the golden file itself.
 */
final class GoldenFile {

    /** System property that lets a run with no golden file write one (default false). */
    static final String RECORD_PROPERTY = "fpwap.golden.record";

    /** What {@link #check} did. */
    enum Outcome {
        /** Told to record: the golden file was written. */
        RECORDED,
        /** No golden file and not told to record: the hashes went to a candidate file and nothing was compared. */
        RECORDED_NOT_COMPARED,
        /** Every family's hash equals the golden file's. */
        MATCHED;

        /** One line for the log, e.g. {@code golden outputs for <triple>: recorded, not compared (...)}. */
        String report(Path dir, String triple) {
            Path golden = dir.resolve(fileName(triple));
            return "golden outputs for " + triple + ": " + switch (this) {
                case RECORDED -> "recorded (" + golden + "; commit it once the run's other checks are reviewed)";
                case RECORDED_NOT_COMPARED -> "recorded, not compared (no golden file " + golden + "; this run's hashes are in "
                        + dir.resolve(candidateName(triple)) + "; review the run, then accept them with scripts/gpu-check --record "
                        + "or -D" + RECORD_PROPERTY + "=true)";
                case MATCHED -> "matched " + golden;
            };
        }
    }

    private GoldenFile() {}

    /** Whether this JVM was told to record a missing golden file ({@value #RECORD_PROPERTY}). */
    static boolean recordRequested() {
        return Boolean.getBoolean(RECORD_PROPERTY);
    }

    /** The candidate file a run that may not record writes its hashes to. */
    static String candidateName(String triple) {
        String golden = fileName(triple);
        return golden.substring(0, golden.length() - ".json".length()) + ".candidate.json";
    }

    /** A file name for the triple: letters, digits, dot, dash and underscore only. */
    static String fileName(String triple) {
        return triple.replaceAll("[^A-Za-z0-9._-]+", "_") + ".json";
    }

    /**
     * Compares {@code hashes} with the golden file of {@code triple}; if there is none, writes them to the golden file
     * when {@code record}, else to the candidate file (never read back as golden).
     *
     * @throws AssertionError naming the first family whose hash differs, or a family missing from the file
     */
    static Outcome check(Path dir, String triple, Map<String, String> hashes, boolean record) {
        Path file = dir.resolve(fileName(triple));
        Gson gson = new GsonBuilder().setPrettyPrinting().create();
        try {
            if (!Files.exists(file)) {
                JsonObject root = new JsonObject();
                root.addProperty("triple", triple);
                root.addProperty("what", "SHA-256 of the FP32 activations of GoldenOutputsTest's seeded models and prompts, per family");
                root.add("families", gson.toJsonTree(new LinkedHashMap<>(hashes)));
                Files.createDirectories(dir);
                Path target = record ? file : dir.resolve(candidateName(triple));
                Files.writeString(target, gson.toJson(root) + "\n", StandardCharsets.UTF_8);
                return record ? Outcome.RECORDED : Outcome.RECORDED_NOT_COMPARED;
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
