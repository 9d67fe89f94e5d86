package org.fpwap.safetensors;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Finds a model directory's weight files and, for a sharded checkpoint, reads the index. Touches
 * no safetensors file: checking the shards' headers against the index is {@link CheckpointHeaders}'s job.
 *
 * @param directory the model directory
 * @param indexFile the index, if the checkpoint is sharded
 * @param indexMetadata the index's {@code metadata} object, values as strings (JSON text for non-strings)
 * @param files the weight files in order of first appearance in the index (or the single file)
 * @param weightMap tensor name to file, in index order; empty for a single-file checkpoint
 */
record CheckpointLayout(Path directory, Optional<Path> indexFile, Map<String, String> indexMetadata,
                        List<Path> files, Map<String, Path> weightMap) {
    static final String SINGLE_FILE = "model.safetensors";
    static final String INDEX_FILE = "model.safetensors.index.json";

    static CheckpointLayout resolve(Path directory) {
        if (!Files.isDirectory(directory)) {
            throw new SafetensorsException(directory, "checkpoint directory not found: expected a directory holding "
                    + SINGLE_FILE + " or " + INDEX_FILE + ", got " + (Files.exists(directory) ? "a file" : "nothing"));
        }
        Path single = directory.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) {
            return singleFile(directory, single);
        }
        Path index = directory.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) {
            return readIndex(directory, index);
        }
        List<Path> candidates = listSafetensors(directory);
        if (candidates.size() == 1) {
            return singleFile(directory, candidates.getFirst());
        }
        throw new SafetensorsException(directory, "no weights to open: expected " + SINGLE_FILE + ", " + INDEX_FILE
                + " or exactly one *.safetensors file, got " + (candidates.isEmpty()
                ? "no *.safetensors file"
                : candidates.size() + " *.safetensors files and no index: " + candidates));
    }

    private static CheckpointLayout singleFile(Path directory, Path file) {
        return new CheckpointLayout(directory, Optional.empty(), Map.of(), List.of(file), Map.of());
    }

    private static List<Path> listSafetensors(Path directory) {
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory, "*.safetensors")) {
            for (Path path : stream) {
                if (Files.isRegularFile(path)) {
                    found.add(path);
                }
            }
        } catch (IOException e) {
            throw new SafetensorsException(directory, null, "cannot list the checkpoint directory: " + e, e);
        }
        Collections.sort(found);
        return found;
    }

    /** Streams the index so that a tensor listed twice in weight_map is caught, not silently merged. */
    private static CheckpointLayout readIndex(Path directory, Path index) {
        Map<String, String> metadata = Map.of();
        Map<String, Path> weightMap = null;
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try (Reader in = new java.io.InputStreamReader(Files.newInputStream(index), decoder);
             JsonReader reader = new JsonReader(in)) {
            reader.setStrictness(Strictness.STRICT);
            if (reader.peek() != JsonToken.BEGIN_OBJECT) {
                throw new SafetensorsException(index, "index is not a JSON object: expected '{', got " + reader.peek());
            }
            reader.beginObject();
            while (reader.hasNext()) {
                String key = reader.nextName();
                switch (key) {
                    case "metadata" -> metadata = readMetadata(index, reader);
                    case "weight_map" -> weightMap = readWeightMap(directory, index, reader);
                    default -> reader.skipValue();
                }
            }
            reader.endObject();
        } catch (IOException | IllegalStateException | com.google.gson.JsonParseException e) {
            throw new SafetensorsException(index, null, "index is not valid UTF-8 JSON: " + e.getMessage(), e);
        }
        if (weightMap == null) {
            throw new SafetensorsException(index, "index has no weight_map: expected an object mapping tensor names"
                    + " to shard files, got none");
        }
        Set<Path> files = new LinkedHashSet<>(weightMap.values());
        for (Map.Entry<String, Path> entry : weightMap.entrySet()) {
            if (!Files.isRegularFile(entry.getValue())) {
                throw new SafetensorsException(index, entry.getKey(), "shard listed in the index is missing: expected"
                        + " file " + entry.getValue() + ", got " + (Files.exists(entry.getValue())
                        ? "something that is not a regular file" : "no such file"));
            }
        }
        return new CheckpointLayout(directory, Optional.of(index), metadata, List.copyOf(files),
                Collections.unmodifiableMap(weightMap));
    }

    private static Map<String, String> readMetadata(Path index, JsonReader reader) throws IOException {
        JsonElement json = JsonParser.parseReader(reader);
        if (json.isJsonNull()) {
            return Map.of();
        }
        if (!json.isJsonObject()) {
            throw new SafetensorsException(index, "index metadata must be a JSON object: expected '{', got " + json);
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> entry : json.getAsJsonObject().entrySet()) {
            JsonElement value = entry.getValue();
            // HF writes {"total_size": 123}: keep numbers readable rather than rejecting a valid index.
            metadata.put(entry.getKey(), value.isJsonPrimitive() ? value.getAsString() : value.toString());
        }
        return Collections.unmodifiableMap(metadata);
    }

    private static Map<String, Path> readWeightMap(Path directory, Path index, JsonReader reader) throws IOException {
        if (reader.peek() != JsonToken.BEGIN_OBJECT) {
            throw new SafetensorsException(index, "weight_map must be a JSON object: expected '{', got "
                    + JsonParser.parseReader(reader));
        }
        Map<String, Path> weightMap = new LinkedHashMap<>();
        reader.beginObject();
        while (reader.hasNext()) {
            String tensor = reader.nextName();
            if (reader.peek() != JsonToken.STRING) {
                throw new SafetensorsException(index, tensor, "weight_map value must be a shard file name: expected a"
                        + " JSON string, got " + JsonParser.parseReader(reader));
            }
            String shard = reader.nextString();
            if (weightMap.put(tensor, shardPath(directory, index, tensor, shard)) != null) {
                throw new SafetensorsException(index, tensor, "duplicate tensor in weight_map: expected each tensor"
                        + " once, got \"" + tensor + "\" twice");
            }
        }
        reader.endObject();
        return weightMap;
    }

    /** Only plain file names: an index must not point outside its own directory. */
    private static Path shardPath(Path directory, Path index, String tensor, String shard) {
        boolean plainName = !shard.isEmpty() && !shard.equals(".") && !shard.equals("..")
                && shard.indexOf('/') < 0 && shard.indexOf('\\') < 0 && shard.indexOf('\0') < 0;
        if (!plainName) {
            throw new SafetensorsException(index, tensor, "shard must be a file name in the checkpoint directory:"
                    + " expected e.g. \"model-00001-of-00002.safetensors\", got \"" + shard + "\"");
        }
        return directory.resolve(shard);
    }
}
