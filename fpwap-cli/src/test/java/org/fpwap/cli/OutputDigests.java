package org.fpwap.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.fpwap.run.RunLock;

/**
 * SHA-256 digests of the files of an {@code extract} output directory, by relative path, for comparing two
 * runs. {@code manifest.json} and {@code profile.json} carry times and are left out, as is the run lock
 * file (left in place on purpose); any other file, a stray temporary included, counts, byte for byte (safetensors
 * headers are deterministic, key order included, so a key-order change is a difference).
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
                out.put(rel, sha256(Files.readAllBytes(p)));
            }
        }
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
