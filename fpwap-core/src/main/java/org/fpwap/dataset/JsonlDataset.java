package org.fpwap.dataset;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * Reads prompts from JSON Lines: one object per line, {@code {"input_ids": [..], "label": <int>}}
 * ({@code label} optional). The sample id is the 0-based line number. Every error names the file,
 * the 1-based line, the field and the offending value; token ids are checked against the vocabulary
 * and lengths against the position limit before any work starts.
 */
public final class JsonlDataset {

    private JsonlDataset() {}

    /**
     * Reads and validates every line of {@code file}.
     *
     * @param vocabSize token ids must lie in {@code [0, vocabSize)}
     * @param maxPositions prompts may have at most this many tokens
     */
    public static List<Sample> read(Path file, int vocabSize, int maxPositions) {
        List<Sample> samples = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            long lineNo = 0;
            while ((line = reader.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    throw new DatasetException(file + ":" + lineNo + ": empty line; every line must be a JSON object "
                            + "with \"input_ids\" (the sample id is the line number, so blank lines are not skipped)");
                }
                samples.add(parse(file, lineNo, line, vocabSize, maxPositions));
            }
        } catch (NoSuchFileException e) {
            throw new DatasetException(file + ": input file not found");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        if (samples.isEmpty()) {
            throw new DatasetException(file + ": no prompts; the input needs at least one line");
        }
        return samples;
    }

    private static Sample parse(Path file, long lineNo, String line, int vocabSize, int maxPositions) {
        String where = file + ":" + lineNo;
        JsonElement root;
        try {
            root = JsonParser.parseString(line);
        } catch (JsonParseException e) {
            throw new DatasetException(where + ": not valid JSON (" + rootCause(e) + ")");
        }
        if (!root.isJsonObject()) {
            throw new DatasetException(where + ": expected a JSON object, got " + abbreviate(line));
        }
        JsonObject obj = root.getAsJsonObject();
        JsonElement ids = obj.get("input_ids");
        if (ids == null) {
            throw new DatasetException(where + ": missing field \"input_ids\" (a list of token ids)");
        }
        if (!ids.isJsonArray()) {
            throw new DatasetException(where + ": field \"input_ids\" must be a list of integers, got " + abbreviate(ids.toString()));
        }
        JsonArray array = ids.getAsJsonArray();
        if (array.isEmpty()) {
            throw new DatasetException(where + ": field \"input_ids\" is empty; every prompt needs at least one token");
        }
        if (array.size() > maxPositions) {
            throw new DatasetException(where + ": prompt has " + array.size() + " tokens, more than the model's position limit "
                    + maxPositions + "; truncate or split it");
        }
        int[] tokens = new int[array.size()];
        for (int i = 0; i < tokens.length; i++) {
            long id = integer(array.get(i), where, "input_ids[" + i + "]");
            if (id < 0 || id >= vocabSize) {
                throw new DatasetException(where + ": input_ids[" + i + "] = " + id + " is outside the vocabulary [0, "
                        + vocabSize + ")");
            }
            tokens[i] = (int) id;
        }
        OptionalLong label = OptionalLong.empty();
        JsonElement l = obj.get("label");
        if (l != null && !l.isJsonNull()) {
            label = OptionalLong.of(integer(l, where, "label"));
        }
        return new Sample(lineNo - 1, tokens, label);
    }

    private static long integer(JsonElement e, String where, String field) {
        if (e.isJsonPrimitive() && ((JsonPrimitive) e).isNumber()) {
            double d = e.getAsDouble();
            if (d == Math.rint(d) && Math.abs(d) < 1L << 53) {
                return (long) d;
            }
        }
        throw new DatasetException(where + ": " + field + " must be an integer, got " + abbreviate(e.toString()));
    }

    private static String rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
