package org.fpwap.dataset;

import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** What kind of prompts a file holds, decided before a tokenizer is chosen. */
public final class PromptFiles {
    private PromptFiles() {}

    /**
     * Whether {@code input} is a JSON Lines file of text prompts: read as JSONL by {@link Dataset#fromFile}
     * and its first line an object with {@code "text"} and without {@code "input_ids"}. Anything else (Arrow,
     * token ids, a missing or malformed file) is not, and is reported by the token-id reader as before.
     */
    public static boolean holdsText(Path input) {
        if (!(DatasetFormats.detect(input) instanceof JsonlSource)) {
            return false;
        }
        try (BufferedReader reader = Files.newBufferedReader(input, StandardCharsets.UTF_8)) {
            String first = firstLine(reader);
            if (first == null) {
                return false;
            }
            if (first.startsWith("\uFEFF")) {
                first = first.substring(1);
            }
            JsonElement line = JsonParser.parseString(first);
            return line.isJsonObject() && line.getAsJsonObject().has("text") && !line.getAsJsonObject().has("input_ids");
        } catch (IOException | JsonParseException e) {
            return false;
        }
    }

    /**
     * The first line, or null when the file is empty or the line is longer than the JSONL reader accepts (a
     * huge line must not be read whole here; the token-id reader then reports it with its limit).
     */
    private static String firstLine(BufferedReader reader) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = reader.read()) != -1 && c != '\n') {
            if (sb.length() >= JsonlSource.MAX_LINE_BYTES) {
                return null;
            }
            sb.append((char) c);
        }
        if (c == -1 && sb.isEmpty()) {
            return null;
        }
        int end = sb.length();
        if (end > 0 && sb.charAt(end - 1) == '\r') {
            sb.setLength(end - 1);
        }
        return sb.toString();
    }
}
