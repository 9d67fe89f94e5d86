package org.fpwap.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Remembers whether a directory existed before a command ran, so that a command that fails before writing
 * anything leaves no new (empty) directory behind. A directory the user made, or one that holds anything, is
 * never removed.
 */
final class NewDirectory {

    private final Path path;
    private final boolean existed;

    private NewDirectory(Path path, boolean existed) {
        this.path = path;
        this.existed = existed;
    }

    /** Notes whether {@code path} exists now. */
    static NewDirectory before(Path path) {
        return new NewDirectory(path, Files.exists(path));
    }

    /** Removes the directory if it did not exist before and is empty now. */
    void removeIfStillEmpty() {
        if (existed || !Files.isDirectory(path)) {
            return;
        }
        try (Stream<Path> entries = Files.list(path)) {
            if (entries.findAny().isEmpty()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the empty output directory " + path + ": " + e.getMessage(), e);
        }
    }
}
