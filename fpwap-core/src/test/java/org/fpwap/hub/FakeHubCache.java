package org.fpwap.hub;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A Hugging Face hub cache built in a temporary directory with the layout {@code huggingface_hub} writes:
 * {@code models--ORG--NAME/blobs/<sha256>} holding the bytes, {@code snapshots/<commit>/<file>} relative
 * symbolic links {@code ../../blobs/<sha256>}, and {@code refs/<name>} files holding the commit hash.
 */
public final class FakeHubCache {
    private final Path root;

    /** A cache rooted at {@code root} (created as needed). */
    public FakeHubCache(Path root) {
        this.root = root;
    }

    /** The hub cache directory (what {@code HF_HUB_CACHE} names). */
    public Path root() {
        return root;
    }

    /** An environment whose {@code HF_HUB_CACHE} is this cache. */
    public HubEnvironment environment() {
        return new HubEnvironment(Map.of("HF_HUB_CACHE", root.toString()), root.resolve("no-home"));
    }

    /** A 40-hex commit hash made of one repeated hex digit, for readable tests. */
    public static String commit(char digit) {
        return String.valueOf(digit).repeat(40);
    }

    /**
     * Stores every regular file of {@code source} as a blob and links it from the snapshot {@code commit};
     * points each of {@code refs} at that commit.
     *
     * @return the snapshot directory
     */
    public Path add(String repoId, String commit, Path source, String... refs) {
        Path repo = repo(repoId);
        Path snapshot = repo.resolve("snapshots").resolve(commit);
        try (Stream<Path> files = Files.list(source)) {
            Files.createDirectories(snapshot);
            Files.createDirectories(repo.resolve("blobs"));
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                String sha = sha256(file);
                Path blob = repo.resolve("blobs").resolve(sha);
                if (!Files.exists(blob)) {
                    Files.copy(file, blob);
                }
                Files.createSymbolicLink(snapshot.resolve(file.getFileName().toString()), Path.of("..", "..", "blobs", sha));
            }
            for (String ref : refs) {
                ref(repoId, ref, commit);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return snapshot;
    }

    /** Writes {@code refs/<name>} (no trailing newline, as {@code huggingface_hub} writes it). */
    public void ref(String repoId, String name, String commit) {
        Path ref = repo(repoId).resolve("refs").resolve(name);
        try {
            Files.createDirectories(ref.getParent());
            Files.writeString(ref, commit);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The repository folder, {@code models--ORG--NAME}. */
    public Path repo(String repoId) {
        return root.resolve("models--" + repoId.replace("/", "--"));
    }

    private static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
