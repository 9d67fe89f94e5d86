package org.fpwap.safetensors;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Hugging Face model directory's weights, every file validated and mapped read-only.
 *
 * <p>Accepts {@code model.safetensors}, a sharded checkpoint with {@code model.safetensors.index.json},
 * or a directory with exactly one {@code *.safetensors} file and no index (checked in that order).
 * Shards are opened eagerly: mapping costs address space, not memory or I/O, and opening everything
 * up front means a corrupt or missing shard fails at open, not in the middle of a sweep, and that
 * lookups need no locking. Lookups follow {@link CheckpointHeaders}: for a sharded checkpoint the
 * index defines the tensors.
 *
 * <p>Closing closes every shard; segments handed out earlier then throw {@link IllegalStateException}.
 */
public final class Checkpoint implements AutoCloseable {
    private final CheckpointHeaders headers;
    private final Map<Path, SafetensorsFile> files;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Checkpoint(CheckpointHeaders headers, Map<Path, SafetensorsFile> files) {
        this.headers = headers;
        this.files = files;
    }

    /**
     * Opens, validates and maps every weight file of a model directory.
     *
     * @param directory the model directory
     * @return the open checkpoint; close it to unmap every file
     * @throws SafetensorsException if a file is missing or malformed, the index is invalid, or a
     *                              shard lacks a tensor the index maps to it
     */
    public static Checkpoint open(Path directory) {
        CheckpointLayout layout = CheckpointLayout.resolve(Objects.requireNonNull(directory, "directory is null"));
        Map<Path, SafetensorsFile> files = new LinkedHashMap<>();
        boolean success = false;
        try {
            for (Path file : layout.files()) {
                files.put(file, SafetensorsFile.open(file));
            }
            CheckpointHeaders headers = CheckpointHeaders.resolve(layout, file -> files.get(file).header());
            Checkpoint checkpoint = new Checkpoint(headers, Map.copyOf(files));
            success = true;
            return checkpoint;
        } finally {
            if (!success) {
                files.values().forEach(SafetensorsFile::close);
            }
        }
    }

    /**
     * Reads and validates a model directory's headers without mapping anything (fast preflight).
     *
     * @param directory the model directory
     * @return name to (file, info) for every tensor
     * @throws SafetensorsException as {@link #open(Path)} does
     */
    public static CheckpointHeaders readHeaders(Path directory) {
        return CheckpointHeaders.read(directory);
    }

    /**
     * Returns the resolved headers this checkpoint was opened with.
     *
     * @return the headers
     */
    public CheckpointHeaders headers() {
        return headers;
    }

    /**
     * Returns the model directory.
     *
     * @return the directory given to {@link #open(Path)}
     */
    public Path directory() {
        return headers.directory();
    }

    /**
     * Returns the checkpoint metadata (see {@link CheckpointHeaders#metadata()}).
     *
     * @return an unmodifiable map
     */
    public Map<String, String> metadata() {
        return headers.metadata();
    }

    /**
     * Tells whether the checkpoint has a tensor.
     *
     * @param name the tensor name
     * @return true if present
     */
    public boolean contains(String name) {
        return headers.contains(name);
    }

    /**
     * Returns a tensor's header entry.
     *
     * @param name the tensor name
     * @return its dtype, shape and offsets within its file
     * @throws SafetensorsException naming the index (or file) and the missing tensor
     */
    public TensorInfo info(String name) {
        return headers.info(name);
    }

    /**
     * Looks a tensor's header entry up without failing.
     *
     * @param name the tensor name
     * @return its info, or empty if absent
     */
    public Optional<TensorInfo> find(String name) {
        return headers.contains(name) ? Optional.of(headers.info(name)) : Optional.empty();
    }

    /**
     * Returns a read-only view of exactly one tensor's bytes, from whichever shard holds it.
     *
     * @param name the tensor name
     * @return a segment valid until {@link #close()}
     * @throws SafetensorsException if the checkpoint has no such tensor
     * @throws IllegalStateException if the checkpoint is closed
     */
    public MemorySegment data(String name) {
        TensorLocation location = headers.location(name);
        if (closed.get()) {
            throw new IllegalStateException("Checkpoint " + directory() + " has been closed already");
        }
        return files.get(location.file()).data(location.info());
    }

    /**
     * Returns the file holding a tensor.
     *
     * @param name the tensor name
     * @return the shard (or single file) path
     * @throws SafetensorsException if the checkpoint has no such tensor
     */
    public Path fileOf(String name) {
        return headers.fileOf(name);
    }

    /**
     * Returns every tensor name, in index order (or data order for a single file).
     *
     * @return an unmodifiable set
     */
    public Set<String> tensorNames() {
        return headers.tensorNames();
    }

    /**
     * Returns every weight file, in index order (or the single file).
     *
     * @return an unmodifiable list
     */
    public List<Path> files() {
        return headers.files();
    }

    /**
     * Returns the total size of the checkpoint's tensors in bytes (see {@link CheckpointHeaders#totalBytes()}).
     *
     * @return bytes
     */
    public long totalBytes() {
        return headers.totalBytes();
    }

    /**
     * Closes every shard. Idempotent.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            files.values().forEach(SafetensorsFile::close);
        }
    }

    @Override
    public String toString() {
        return "Checkpoint[" + directory() + ", " + files.size() + " files" + (closed.get() ? ", closed" : "") + "]";
    }
}
