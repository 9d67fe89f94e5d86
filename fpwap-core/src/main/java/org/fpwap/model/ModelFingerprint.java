package org.fpwap.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.stream.Stream;

/**
 * A digest identifying a model directory: SHA-256 over {@code config.json}, the names and sizes of its
 * safetensors files, and {@link #SAMPLES} blocks of {@link #SAMPLE_BYTES} bytes spread evenly over each file
 * (the header included). Cheap (at most 64 KiB read per file, whatever the model's size) and it tells apart
 * two checkpoints of one architecture with different weights — a retrained or re-exported model — which names
 * and sizes alone cannot; a change confined to bytes between the samples (one edited tensor) can go unseen.
 * Recorded in manifests and artifact metadata, and checked by {@code --resume}.
 */
public final class ModelFingerprint {

    private ModelFingerprint() {}

    /** Blocks read from each file. */
    static final int SAMPLES = 16;
    /** Bytes in each block. */
    static final int SAMPLE_BYTES = 4096;

    /** The fingerprint of {@code modelDir}, as lower-case hex. */
    public static String of(Path modelDir) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(Files.readAllBytes(modelDir.resolve("config.json")));
            try (Stream<Path> files = Files.list(modelDir)) {
                for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".safetensors")
                        || p.getFileName().toString().endsWith(".index.json")).sorted().toList()) {
                    sha.update((f.getFileName() + ":" + Files.size(f) + "\n").getBytes(StandardCharsets.UTF_8));
                    sampleContent(f, sha);
                }
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fingerprint " + modelDir + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }

    private static void sampleContent(Path file, MessageDigest sha) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            ByteBuffer block = ByteBuffer.allocate(SAMPLE_BYTES);
            for (int i = 0; i < SAMPLES; i++) {
                long start = size <= SAMPLE_BYTES ? 0 : (size - SAMPLE_BYTES) * i / (SAMPLES - 1);
                block.clear();
                while (block.hasRemaining()) {
                    int n = channel.read(block, start + block.position());
                    if (n < 0) {
                        break;
                    }
                }
                block.flip();
                sha.update(block);
                if (size <= SAMPLE_BYTES) {
                    break;
                }
            }
        }
    }
}
