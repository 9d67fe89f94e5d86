package org.fpwap.safetensors;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One validated safetensors file, mapped read-only into memory.
 *
 * <p>The whole file is one mapping owned by a shared {@link Arena} that this object owns: segments
 * are long-indexed, so files and tensors over 2 GB need no chunking, and any thread may read. The
 * mapping costs address space, not memory: pages are read on first touch and the kernel may drop
 * them again. {@link #close()} unmaps the file; a segment obtained earlier then throws
 * {@link IllegalStateException} on access instead of crashing the JVM.
 *
 * <p>Anything that still points into a segment (a DJL NDArray wrapping it zero-copy, say) must be
 * closed before this file.
 */
public final class SafetensorsFile implements AutoCloseable {
    private final Path path;
    private final SafetensorsHeader header;
    private final Arena arena;
    private final MemorySegment mapping;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SafetensorsFile(Path path, SafetensorsHeader header, Arena arena, MemorySegment mapping) {
        this.path = path;
        this.header = header;
        this.arena = arena;
        this.mapping = mapping;
    }

    /**
     * Validates a file's header and maps the file read-only.
     *
     * @param path a safetensors file
     * @return the open file; close it to unmap
     * @throws SafetensorsException if the file is missing, unreadable or malformed
     */
    public static SafetensorsFile open(Path path) {
        Objects.requireNonNull(path, "path is null");
        Arena arena = Arena.ofShared();
        boolean success = false;
        // The channel is closed right after mapping: the mapping stays valid until the arena closes.
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            SafetensorsHeader header = SafetensorsHeader.read(path, channel);
            MemorySegment mapping = channel.map(FileChannel.MapMode.READ_ONLY, 0, header.fileSize(), arena);
            SafetensorsFile file = new SafetensorsFile(path, header, arena, mapping);
            success = true;
            return file;
        } catch (NoSuchFileException e) {
            throw new SafetensorsException(path, null, "file not found", e);
        } catch (IOException e) {
            throw new SafetensorsException(path, null, "cannot open or map: " + e, e);
        } finally {
            if (!success) {
                arena.close();
            }
        }
    }

    /**
     * Returns the path this file was opened from.
     *
     * @return the path given to {@link #open(Path)}
     */
    public Path path() {
        return path;
    }

    /**
     * Returns the validated header.
     *
     * @return the header read when the file was opened
     */
    public SafetensorsHeader header() {
        return header;
    }

    /**
     * Returns the {@code __metadata__} entries.
     *
     * @return an unmodifiable map, empty if the header has none
     */
    public Map<String, String> metadata() {
        return header.metadata();
    }

    /**
     * Returns every tensor in data order.
     *
     * @return an unmodifiable list
     */
    public List<TensorInfo> tensors() {
        return header.tensors();
    }

    /**
     * Looks a tensor up by name.
     *
     * @param name the tensor name
     * @return its info, or empty if the file has no such tensor
     */
    public Optional<TensorInfo> find(String name) {
        return header.find(name);
    }

    /**
     * Looks a tensor up by name, failing if it is absent.
     *
     * @param name the tensor name
     * @return its info
     * @throws SafetensorsException naming the file and the missing tensor
     */
    public TensorInfo require(String name) {
        return header.require(name);
    }

    /**
     * Returns a read-only view of exactly one tensor's bytes (little-endian, row-major).
     *
     * @param name the tensor name
     * @return a segment of {@code require(name).byteLength()} bytes, valid until {@link #close()}
     * @throws SafetensorsException if the file has no such tensor
     * @throws IllegalStateException if this file is closed
     */
    public MemorySegment data(String name) {
        return data(require(name));
    }

    /**
     * Returns a read-only view of the bytes of a tensor of this file.
     *
     * @param tensor a tensor info from this file's header
     * @return a segment of {@code tensor.byteLength()} bytes, valid until {@link #close()}
     * @throws IllegalArgumentException if the info does not belong to this file
     * @throws IllegalStateException if this file is closed
     */
    public MemorySegment data(TensorInfo tensor) {
        Objects.requireNonNull(tensor, "tensor is null");
        if (!tensor.equals(header.find(tensor.name()).orElse(null))) {
            throw new IllegalArgumentException("tensor " + tensor + " is not an entry of " + path);
        }
        ensureOpen();
        return mapping.asSlice(header.dataStart() + tensor.begin(), tensor.byteLength()).asReadOnly();
    }

    /**
     * Tells whether {@link #close()} has been called.
     *
     * @return true once closed
     */
    public boolean isClosed() {
        return closed.get();
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("SafetensorsFile " + path + " has been closed already");
        }
    }

    /**
     * Unmaps the file. Idempotent. Segments handed out earlier become inaccessible.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + (closed.get() ? ", closed" : "") + "]";
    }
}
