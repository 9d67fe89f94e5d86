package org.fpwap.safetensors;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;

import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.fpwap.io.JsonErrors;

/**
 * Turns header bytes into metadata and per-tensor entries, checking the JSON grammar and each
 * entry on its own (dtype, shape, offsets, byte count). How the entries tile the data section is
 * {@link DataLayout}'s job.
 *
 * <p>Streams the JSON with a strict {@link JsonReader} instead of binding it to a map, because a
 * map silently keeps one of two duplicate tensor names, and a duplicate is exactly the kind of
 * corruption this reader must reject.
 */
final class HeaderParser {
    static final String METADATA_KEY = "__metadata__";

    private static final Pattern DECIMAL_INTEGER = Pattern.compile("-?(0|[1-9][0-9]*)");

    /** The header's metadata and tensors, in header order, each entry already checked on its own. */
    record Parsed(Map<String, String> metadata, List<TensorInfo> tensors) {}

    private final Path file;

    private HeaderParser(Path file) {
        this.file = file;
    }

    /**
     * Parses header bytes.
     *
     * @param file the file the bytes came from, named in every error
     * @param headerBytes the N header bytes after the 8-byte length prefix
     */
    static Parsed parse(Path file, ByteBuffer headerBytes) {
        HeaderParser parser = new HeaderParser(file);
        return parser.parseJson(parser.decodeUtf8(headerBytes));
    }

    private String decodeUtf8(ByteBuffer bytes) {
        try {
            // A decoder that reports instead of replacing: the format requires valid UTF-8.
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes)
                    .toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(file, null,
                    "header is not valid UTF-8: expected UTF-8 JSON, got an invalid byte sequence (" + e + ")", e);
        }
    }

    private Parsed parseJson(String json) {
        try (JsonReader reader = new JsonReader(new StringReader(json))) {
            reader.setStrictness(Strictness.STRICT);
            JsonToken first = reader.peek();
            if (first != JsonToken.BEGIN_OBJECT) {
                throw new SafetensorsException(file, "header is not a JSON object: expected '{', got "
                        + describe(JsonParser.parseReader(reader)));
            }
            Map<String, String> metadata = Map.of();
            List<TensorInfo> tensors = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            reader.beginObject();
            while (reader.hasNext()) {
                String name = reader.nextName();
                if (!seen.add(name)) {
                    throw new SafetensorsException(file, METADATA_KEY.equals(name) ? null : name,
                            "duplicate key in header: expected each tensor name once, got \"" + name + "\" twice");
                }
                if (METADATA_KEY.equals(name)) {
                    metadata = readMetadata(reader);
                } else {
                    tensors.add(readTensor(reader, name));
                }
            }
            reader.endObject();
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new SafetensorsException(file, "header has content after the JSON object: expected only"
                        + " trailing spaces, got " + reader.peek());
            }
            return new Parsed(metadata, Collections.unmodifiableList(tensors));
        } catch (IOException | IllegalStateException | com.google.gson.JsonParseException e) {
            // MalformedJsonException is an IOException; a truncated document surfaces as EOFException.
            throw new SafetensorsException(file, null, "header is not valid JSON: " + JsonErrors.describe(e), e);
        }
    }

    private Map<String, String> readMetadata(JsonReader reader) throws IOException {
        if (reader.peek() == JsonToken.NULL) {
            reader.nextNull();
            return Map.of();
        }
        if (reader.peek() != JsonToken.BEGIN_OBJECT) {
            throw new SafetensorsException(file, METADATA_KEY + " must be a JSON object of strings: expected '{', got "
                    + describe(JsonParser.parseReader(reader)));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        reader.beginObject();
        while (reader.hasNext()) {
            String key = reader.nextName();
            if (reader.peek() != JsonToken.STRING) {
                throw new SafetensorsException(file, METADATA_KEY + " value for key \"" + key
                        + "\" must be a string: expected a JSON string, got " + describe(JsonParser.parseReader(reader)));
            }
            String value = reader.nextString();
            if (metadata.putIfAbsent(key, value) != null) {
                throw new SafetensorsException(file, "duplicate key in " + METADATA_KEY
                        + ": expected each key once, got \"" + key + "\" twice");
            }
        }
        reader.endObject();
        return Collections.unmodifiableMap(metadata);
    }

    private TensorInfo readTensor(JsonReader reader, String name) throws IOException {
        if (reader.peek() != JsonToken.BEGIN_OBJECT) {
            throw new SafetensorsException(file, name, "tensor entry must be a JSON object with dtype, shape and"
                    + " data_offsets: expected '{', got " + describe(JsonParser.parseReader(reader)));
        }
        String dtypeName = null;
        JsonElement shapeJson = null;
        JsonElement offsetsJson = null;
        Set<String> keys = new HashSet<>();
        reader.beginObject();
        while (reader.hasNext()) {
            String key = reader.nextName();
            if (!keys.add(key)) {
                throw new SafetensorsException(file, name, "duplicate key in tensor entry: expected \"" + key
                        + "\" once, got it twice");
            }
            switch (key) {
                case "dtype" -> {
                    if (reader.peek() != JsonToken.STRING) {
                        throw new SafetensorsException(file, name, "dtype must be a string: expected e.g. \"F32\", got "
                                + describe(JsonParser.parseReader(reader)));
                    }
                    dtypeName = reader.nextString();
                }
                case "shape" -> shapeJson = JsonParser.parseReader(reader);
                case "data_offsets" -> offsetsJson = JsonParser.parseReader(reader);
                // The Rust crate ignores unknown fields too; being stricter would reject valid files.
                default -> reader.skipValue();
            }
        }
        reader.endObject();
        requirePresent(name, "dtype", dtypeName);
        requirePresent(name, "shape", shapeJson);
        requirePresent(name, "data_offsets", offsetsJson);

        DType dtype = DType.parse(dtypeName, file, name);
        long[] shape = integers(name, "shape", shapeJson, -1);
        long[] offsets = integers(name, "data_offsets", offsetsJson, 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw new SafetensorsException(file, name, "data_offsets must satisfy begin <= end: expected begin <= "
                    + end + ", got [" + begin + ", " + end + "]");
        }
        long expectedBytes = expectedByteLength(name, dtype, shape);
        if (end - begin != expectedBytes) {
            throw new SafetensorsException(file, name, "byte length does not match dtype and shape: expected "
                    + expectedBytes + " bytes (" + dtype + " " + java.util.Arrays.toString(shape) + ", "
                    + dtype.byteSize() + " bytes per element), got " + (end - begin) + " bytes from data_offsets ["
                    + begin + ", " + end + "]");
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private void requirePresent(String name, String field, Object value) {
        if (value == null) {
            throw new SafetensorsException(file, name, "tensor entry is missing \"" + field
                    + "\": expected keys dtype, shape and data_offsets, got none named " + field);
        }
    }

    /**
     * Reads a JSON array of non-negative 64-bit decimal integers.
     *
     * @param requiredLength the exact length required, or -1 for any length
     */
    private long[] integers(String name, String field, JsonElement json, int requiredLength) {
        String expectation = requiredLength == 2
                ? "two non-negative integers [begin, end]"
                : "a list of non-negative integers";
        if (!(json instanceof JsonArray array)) {
            throw new SafetensorsException(file, name, field + " must be " + expectation + ": expected a JSON array, got "
                    + describe(json));
        }
        if (requiredLength >= 0 && array.size() != requiredLength) {
            throw new SafetensorsException(file, name, field + " must be " + expectation + ": expected "
                    + requiredLength + " elements, got " + array.size() + " in " + array);
        }
        long[] values = new long[array.size()];
        for (int i = 0; i < values.length; i++) {
            JsonElement element = array.get(i);
            String text = element instanceof JsonPrimitive primitive && primitive.isNumber()
                    ? primitive.getAsString()
                    : null;
            if (text == null || !DECIMAL_INTEGER.matcher(text).matches() || text.startsWith("-")) {
                throw new SafetensorsException(file, name, field + " must be " + expectation + ": expected a"
                        + " non-negative integer at index " + i + ", got " + describe(element) + " in " + array);
            }
            try {
                values[i] = Long.parseLong(text);
            } catch (NumberFormatException e) {
                throw new SafetensorsException(file, name, field + " must be " + expectation + ": expected an integer"
                        + " at most " + Long.MAX_VALUE + " at index " + i + ", got " + text, e);
            }
        }
        return values;
    }

    private long expectedByteLength(String name, DType dtype, long[] shape) {
        try {
            long bytes = dtype.byteSize();
            for (long dim : shape) {
                if (dim == 0) {
                    return 0; // a zero dimension empties the tensor however large the others are
                }
            }
            for (long dim : shape) {
                bytes = Math.multiplyExact(bytes, dim);
            }
            return bytes;
        } catch (ArithmeticException e) {
            throw new SafetensorsException(file, name, "byte length overflows: expected product(shape) x "
                    + dtype.byteSize() + " bytes (" + dtype + ") to fit in 64 bits, got shape "
                    + java.util.Arrays.toString(shape), e);
        }
    }

    /** Shows a JSON value with its kind, so "got" is clear even for an empty string or null. */
    private static String describe(JsonElement element) {
        String kind;
        if (element.isJsonNull()) {
            return "null";
        } else if (element.isJsonArray()) {
            kind = "array";
        } else if (element.isJsonObject()) {
            kind = "object";
        } else if (element.getAsJsonPrimitive().isString()) {
            kind = "string";
        } else if (element.getAsJsonPrimitive().isNumber()) {
            kind = "number";
        } else {
            kind = "boolean";
        }
        String text = element.toString();
        if (text.length() > 200) {
            text = text.substring(0, 200) + "...";
        }
        return kind + " " + text;
    }
}
