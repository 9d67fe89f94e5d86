package org.fpwap.run;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Exclusive use of a run directory by one process: an OS file lock ({@code fcntl}) on
 * {@code DIR/.fpwap.lock}, which holds the owner's process id. The kernel drops the lock when its process
 * dies, however it dies, so a crashed run never leaves the directory stuck; the file itself stays (deleting
 * it would let a third process lock a fresh file while a second still holds the old one).
 */
public final class RunLock implements AutoCloseable {

    /** The lock file's name inside the run directory. */
    public static final String FILE_NAME = ".fpwap.lock";

    private final Path path;
    private final FileChannel channel;
    private final FileLock lock;

    private RunLock(Path path, FileChannel channel, FileLock lock) {
        this.path = path;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Locks {@code dir} (which must exist) for this process, or fails at once naming the process that holds it.
     *
     * @throws RunDirectoryException if another run holds the lock, or the lock file cannot be opened
     */
    public static RunLock acquire(Path dir) {
        requireNonNull(dir, "dir is null");
        Path path = dir.resolve(FILE_NAME);
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new RunDirectoryException("cannot open the lock file " + path + ": " + e.getMessage(), e);
        }
        boolean success = false;
        try {
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // held by this very process (another sweep in this JVM)
            }
            if (lock == null) {
                throw new RunDirectoryException(dir + " is in use by another fpwap run (process " + holder(channel)
                        + ", lock file " + path + "); wait for it to finish, or stop it, before starting another run there");
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            channel.force(true);
            success = true;
            return new RunLock(path, channel, lock);
        } catch (IOException e) {
            throw new RunDirectoryException("cannot lock " + path + ": " + e.getMessage(), e);
        } finally {
            if (!success) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // the failure being reported matters more
                }
            }
        }
    }

    private static String holder(FileChannel channel) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(64);
        channel.read(bytes, 0);
        String pid = new String(bytes.array(), 0, bytes.position(), StandardCharsets.UTF_8).trim();
        return pid.isEmpty() ? "unknown, starting up" : pid;
    }

    /** The lock file. */
    public Path path() {
        return path;
    }

    /** Releases the lock (the file stays). Idempotent. */
    @Override
    public void close() {
        try {
            if (lock.isValid()) {
                lock.release();
            }
            channel.close();
        } catch (IOException e) {
            throw new RunDirectoryException("cannot release the lock " + path + ": " + e.getMessage(), e);
        }
    }
}
