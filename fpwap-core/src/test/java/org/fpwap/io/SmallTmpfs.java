package org.fpwap.io;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * A tmpfs of a fixed size mounted for one test, so a full disk can be made for real. Needs Linux and the
 * right to mount (root in the test containers); the test is skipped, saying why, where either is missing.
 */
public final class SmallTmpfs implements AutoCloseable {
    private final Path root;

    private SmallTmpfs(Path root) {
        this.root = root;
    }

    /**
     * Mounts a tmpfs of {@code bytes} at {@code dir} (created if missing), or skips the calling test.
     *
     * @param dir an empty directory, usually under a {@code @TempDir}
     * @param bytes the file system's size
     * @return the mount; close it to unmount
     */
    public static SmallTmpfs mount(Path dir, long bytes) throws IOException, InterruptedException {
        return mount(dir, "size=" + bytes);
    }

    /**
     * Mounts an empty read-only tmpfs at {@code dir}: not even root can write there, unlike a directory
     * without write permission.
     *
     * @param dir an empty directory, usually under a {@code @TempDir}
     * @param bytes the file system's size
     * @return the mount; close it to unmount
     */
    public static SmallTmpfs mountReadOnly(Path dir, long bytes) throws IOException, InterruptedException {
        return mount(dir, "ro,size=" + bytes);
    }

    private static SmallTmpfs mount(Path dir, String options) throws IOException, InterruptedException {
        assumeTrue(System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux"),
                "a size-limited tmpfs needs Linux");
        Files.createDirectories(dir);
        String reason = run(List.of("mount", "-t", "tmpfs", "-o", options, "tmpfs", dir.toString()));
        assumeTrue(reason.isEmpty(), "cannot mount a small tmpfs to fill (needs root or CAP_SYS_ADMIN): " + reason);
        return new SmallTmpfs(dir);
    }

    /** The mount point. */
    public Path root() {
        return root;
    }

    /** Usable bytes left on the mount. */
    public long free() throws IOException {
        return Files.getFileStore(root).getUsableSpace();
    }

    /**
     * Writes a file until the file system refuses, as another process filling the disk would.
     *
     * @param name the filler's name under the mount
     */
    public void fillUp(String name) throws IOException {
        try (FileChannel channel = FileChannel.open(root.resolve(name), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
            while (true) {
                chunk.clear();
                channel.write(chunk);
            }
        } catch (IOException e) {
            if (!SpaceReservation.isNoSpace(e)) {
                throw e;
            }
        }
    }

    /** Unmounts (lazily, so an open file in a failed test cannot keep it mounted). */
    @Override
    public void close() throws IOException, InterruptedException {
        String error = run(List.of("umount", "-l", root.toString()));
        if (!error.isEmpty()) {
            throw new IOException("cannot unmount " + root + ": " + error);
        }
    }

    /** Runs a command; the empty string on success, else its output and exit status. */
    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            return e.getMessage();
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return String.join(" ", command) + " timed out";
        }
        return p.exitValue() == 0 ? "" : output + " (exit " + p.exitValue() + ")";
    }
}
