package org.fpwap.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fpwap.run.RunLock;
import java.util.stream.Stream;

/**
 * Remembers whether a directory existed before a command ran, so that a command that fails before writing
 * anything leaves no new (empty) directory behind. A directory the user made, or one that holds anything, is
 * never removed.
 */
final class NewDirectory {

    private final Path path;
    private final boolean existed;
    private final boolean lockExisted;

    private NewDirectory(Path path, boolean existed, boolean lockExisted) {
        this.path = path;
        this.existed = existed;
        this.lockExisted = lockExisted;
    }

    /** Notes whether {@code path} (and a run lock in it) exists now. */
    static NewDirectory before(Path path) {
        return new NewDirectory(path, Files.exists(path), Files.exists(path.resolve(RunLock.FILE_NAME)));
    }

    /**
     * Removes the directory if it did not exist before and is empty now, apart from the run lock this command's
     * own run left (released by now): a directory created for a run that failed before writing anything.
     */
    void removeIfStillEmpty() {
        if (!Files.isDirectory(path)) {
            return;
        }
        if (existed) {
            removeOurLockIfAlone();
            return;
        }
        try (Stream<Path> entries = Files.list(path)) {
            List<Path> left = entries.toList();
            if (left.stream().allMatch(p -> p.getFileName().toString().equals(RunLock.FILE_NAME))) {
                for (Path p : left) {
                    Files.deleteIfExists(p);
                }
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the empty output directory " + path + ": " + e.getMessage(), e);
        }
    }

    /** In a directory the user made, the run lock this run created is all it wrote: take it away again. */
    private void removeOurLockIfAlone() {
        if (lockExisted) {
            return;
        }
        try (Stream<Path> entries = Files.list(path)) {
            List<Path> left = entries.toList();
            if (left.size() == 1 && left.get(0).getFileName().toString().equals(RunLock.FILE_NAME)) {
                Files.deleteIfExists(left.get(0));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the run lock in " + path + ": " + e.getMessage(), e);
        }
    }
}
