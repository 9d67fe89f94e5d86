package org.fpwap.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.fpwap.run.RunLock;

/**
 * SHA-256 digests of the files of an {@code extract} output directory, by relative path, for comparing two
 * runs. {@code manifest.json} and {@code profile.json} carry times and are left out, as is the run lock
 * file (left in place on purpose); any other file, a stray temporary included, counts. A safetensors file is digested as its header with object keys sorted, plus its data
 * section: every tensor byte and every metadata value counts, only the header's key order does not (it is
 * not yet fixed across processes, issue 12 item 5b).
 */
final class OutputDigests {

    private OutputDigests() {}

    static Map<String, String> of(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                String rel = dir.relativize(p).toString();
                if (rel.equals("manifest.json") || rel.equals("profile.json") || p.getFileName().toString().equals(RunLock.FILE_NAME)) {
                    continue;
                }
                byte[] bytes = Files.readAllBytes(p);
                out.put(rel, sha256(rel.endsWith(".safetensors") ? canonicalSafetensors(bytes) : bytes));
            }
        }
        return out;
    }

    private static byte[] canonicalSafetensors(byte[] file) {
        long headerLength = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(file, 8, (int) headerLength, StandardCharsets.UTF_8);
        byte[] canonical = sorted(JsonParser.parseString(header)).toString().getBytes(StandardCharsets.UTF_8);
        byte[] data = Arrays.copyOfRange(file, 8 + (int) headerLength, file.length);
        ByteBuffer all = ByteBuffer.allocate(canonical.length + data.length).put(canonical).put(data);
        return all.array();
    }

    private static JsonElement sorted(JsonElement e) {
        if (!e.isJsonObject()) {
            return e;
        }
        JsonObject out = new JsonObject();
        new TreeMap<>(e.getAsJsonObject().asMap()).forEach((k, v) -> out.add(k, sorted(v)));
        return out;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
