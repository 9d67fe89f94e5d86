package org.fpwap.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.fpwap.run.Journal;
import org.fpwap.run.RunDirectoryException;
import org.fpwap.run.RunLock;

/**
 * What {@code extract} may do with an output directory that already has contents: nothing (refuse), continue
 * the run whose journal it holds ({@code --resume}), or replace its contents ({@code --overwrite}). The run
 * lock file does not count as contents.
 */
enum ExistingOutput {
    REFUSE,
    RESUME,
    OVERWRITE;

    /** From the two flags; both at once is an error. */
    static ExistingOutput of(boolean resume, boolean overwrite) {
        if (resume && overwrite) {
            throw new IllegalArgumentException("--resume and --overwrite contradict each other: --resume continues the run in "
                    + "the output directory, --overwrite discards it; pass one");
        }
        return resume ? RESUME : overwrite ? OVERWRITE : REFUSE;
    }

    /**
     * Readies {@code out} (locked by this process) for a run whose work directory is {@code workDir}: refuses a
     * non-empty directory unless resuming a journal it holds or overwriting, in which case its contents go.
     *
     * @throws RunDirectoryException naming the directory and the flags that would let the run proceed
     */
    void prepare(Path out, Path workDir) {
        List<Path> contents = contents(out);
        if (contents.isEmpty()) {
            return;
        }
        String shown = contents.stream().limit(5).map(p -> p.getFileName().toString()).collect(Collectors.joining(", "))
                + (contents.size() > 5 ? ", ..." : "");
        switch (this) {
            case REFUSE -> throw new RunDirectoryException("the output directory " + out + " is not empty (" + shown
                    + "); pass --resume to continue the run it holds, or --overwrite to replace its contents");
            case RESUME -> {
                if (!Journal.exists(workDir) && contents.equals(List.of(workDir))) {
                    // A run that died before its first commit (during the embedding): nothing to keep, start over.
                    deleteTree(workDir);
                } else if (!Journal.exists(workDir)) {
                    boolean finished = Files.exists(out.resolve("manifest.json"));
                    throw new RunDirectoryException("the output directory " + out + (finished
                            ? " holds a finished run (manifest.json) and no journal: there is nothing to resume"
                            : " holds no journal to resume (" + shown + ")") + "; pass --overwrite to replace its contents");
                } else {
                    deleteTemporaries(out, workDir);
                }
            }
            case OVERWRITE -> contents.forEach(ExistingOutput::deleteTree);
        }
    }

    /** An export cut short leaves hidden {@code .<name>.<n>.tmp} files beside its outputs; the resumed export rewrites them. */
    private static void deleteTemporaries(Path out, Path workDir) {
        try (Stream<Path> files = Files.walk(out)) {
            for (Path p : files.filter(p -> !p.startsWith(workDir) && Files.isRegularFile(p)).toList()) {
                String name = p.getFileName().toString();
                if (name.startsWith(".") && name.endsWith(".tmp")) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean " + out + " for --resume: " + e.getMessage(), e);
        }
    }

    private static List<Path> contents(Path out) {
        try (Stream<Path> entries = Files.list(out)) {
            return entries.filter(p -> !p.getFileName().toString().equals(RunLock.FILE_NAME)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the output directory " + out + ": " + e.getMessage(), e);
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root + " (--overwrite): " + e.getMessage(), e);
        }
    }
}
