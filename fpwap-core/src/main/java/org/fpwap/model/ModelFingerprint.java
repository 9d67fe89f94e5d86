package org.fpwap.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.stream.Stream;

/**
 * A digest identifying a model directory: SHA-256 over {@code config.json} and the names and sizes of
 * its safetensors files. Cheap (no weight bytes are read) and changes whenever the model does in any way
 * that matters in practice; recorded in manifests and artifact metadata.
 */
public final class ModelFingerprint {

    private ModelFingerprint() {}

    /** The fingerprint of {@code modelDir}, as lower-case hex. */
    public static String of(Path modelDir) {
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
}
