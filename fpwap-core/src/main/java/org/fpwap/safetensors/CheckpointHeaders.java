package org.fpwap.safetensors;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * A checkpoint directory's tensors resolved from headers alone: name to (file, info), without
 * mapping anything. This is what preflight and inspection use to check a model fast.
 *
 * <p>For a sharded checkpoint the index is authoritative: its {@code weight_map} defines the
 * checkpoint's tensors and their order; a tensor a shard holds but the index omits is ignored.
 * Every tensor the index maps to a shard must be in that shard's header.
 */
public final class CheckpointHeaders {
    private final Path directory;
    private final Optional<Path> indexFile;
    private final Map<String, String> metadata;
    private final List<SafetensorsHeader> headers;
    private final Map<String, TensorLocation> tensors;
    private final long totalBytes;

    private CheckpointHeaders(Path directory, Optional<Path> indexFile, Map<String, String> metadata,
                              List<SafetensorsHeader> headers, Map<String, TensorLocation> tensors) {
        this.directory = directory;
        this.indexFile = indexFile;
        this.metadata = metadata;
        this.headers = headers;
        this.tensors = tensors;
        long bytes = 0;
        for (TensorLocation location : tensors.values()) {
            bytes = Math.addExact(bytes, location.info().byteLength());
        }
        this.totalBytes = bytes;
    }

    /**
     * Reads and validates every header of a checkpoint directory, and the index if there is one.
     *
     * @param directory a directory with {@code model.safetensors}, {@code model.safetensors.index.json}
     *                  or exactly one {@code *.safetensors} file
     * @return the resolved tensors
     * @throws SafetensorsException if a file is missing or malformed or a shard lacks a tensor
     */
    public static CheckpointHeaders read(Path directory) {
        CheckpointLayout layout = CheckpointLayout.resolve(Objects.requireNonNull(directory, "directory is null"));
        return resolve(layout, SafetensorsHeader::read);
    }

    /** Checks the layout against headers obtained by {@code headerOf} (read, or taken from open files). */
    static CheckpointHeaders resolve(CheckpointLayout layout, Function<Path, SafetensorsHeader> headerOf) {
        Map<Path, SafetensorsHeader> byFile = new LinkedHashMap<>();
        for (Path file : layout.files()) {
            byFile.put(file, headerOf.apply(file));
        }
        Map<String, TensorLocation> tensors = new LinkedHashMap<>();
        Map<String, String> metadata;
        if (layout.indexFile().isPresent()) {
            Path index = layout.indexFile().get();
            for (Map.Entry<String, Path> entry : layout.weightMap().entrySet()) {
                String tensor = entry.getKey();
                Path shard = entry.getValue();
                TensorInfo info = byFile.get(shard).find(tensor).orElseThrow(() -> new SafetensorsException(index,
                        tensor, "shard " + shard + " lacks a tensor the index maps to it: expected an entry \""
                        + tensor + "\" in its header, got none; the index and shards do not belong together"));
                tensors.put(tensor, new TensorLocation(shard, info));
            }
            metadata = layout.indexMetadata();
        } else {
            SafetensorsHeader header = byFile.values().iterator().next();
            for (TensorInfo info : header.tensors()) {
                tensors.put(info.name(), new TensorLocation(header.file(), info));
            }
            metadata = header.metadata();
        }
        return new CheckpointHeaders(layout.directory(), layout.indexFile(), metadata,
                List.copyOf(byFile.values()), Collections.unmodifiableMap(tensors));
    }

    /**
     * Returns the checkpoint directory.
     *
     * @return the directory given to {@link #read(Path)} or {@link Checkpoint#open(Path)}
     */
    public Path directory() {
        return directory;
    }

    /**
     * Returns the index file of a sharded checkpoint.
     *
     * @return the index path, or empty for a single-file checkpoint
     */
    public Optional<Path> indexFile() {
        return indexFile;
    }

    /**
     * Returns the checkpoint metadata: the index's {@code metadata} for a sharded checkpoint
     * (non-string values as JSON text), else the single file's {@code __metadata__}.
     *
     * @return an unmodifiable map
     */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Returns every weight file's header, in index order (or the single file's).
     *
     * @return an unmodifiable list
     */
    public List<SafetensorsHeader> headers() {
        return headers;
    }

    /**
     * Returns every weight file, in index order (or the single file).
     *
     * @return an unmodifiable list
     */
    public List<Path> files() {
        return headers.stream().map(SafetensorsHeader::file).toList();
    }

    /**
     * Returns every tensor name, in index order (or data order for a single file).
     *
     * @return an unmodifiable set
     */
    public Set<String> tensorNames() {
        return tensors.keySet();
    }

    /**
     * Tells whether the checkpoint has a tensor.
     *
     * @param name the tensor name
     * @return true if {@link #tensorNames()} contains it
     */
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /**
     * Returns where a tensor lives.
     *
     * @param name the tensor name
     * @return its file and header entry
     * @throws SafetensorsException naming the index (or file) and the missing tensor
     */
    public TensorLocation location(String name) {
        TensorLocation location = tensors.get(Objects.requireNonNull(name, "name is null"));
        if (location == null) {
            Path where = indexFile.orElseGet(() -> headers.getFirst().file());
            throw new SafetensorsException(where, name, "tensor not found in checkpoint " + directory
                    + ": expected it among the checkpoint's " + tensors.size() + " tensors, got no entry with that name");
        }
        return location;
    }

    /**
     * Returns a tensor's header entry.
     *
     * @param name the tensor name
     * @return its dtype, shape and offsets within its file
     * @throws SafetensorsException if the checkpoint has no such tensor
     */
    public TensorInfo info(String name) {
        return location(name).info();
    }

    /**
     * Returns the file holding a tensor.
     *
     * @param name the tensor name
     * @return the shard (or single file) path
     * @throws SafetensorsException if the checkpoint has no such tensor
     */
    public Path fileOf(String name) {
        return location(name).file();
    }

    /**
     * Returns the total size of the checkpoint's tensors (the sum of their byte lengths; headers and
     * tensors the index omits are not counted).
     *
     * @return bytes
     */
    public long totalBytes() {
        return totalBytes;
    }

    @Override
    public String toString() {
        return "CheckpointHeaders[" + directory + ", " + headers.size() + " files, " + tensors.size() + " tensors]";
    }
}
