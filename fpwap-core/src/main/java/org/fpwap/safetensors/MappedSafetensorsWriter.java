package org.fpwap.safetensors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.fpwap.io.DiskSpaceException;
import org.fpwap.io.SpaceReservation;

/**
 * Writes a safetensors file larger than the heap by filling a writable mapping in place.
 *
 * <p>Every tensor and all metadata are declared up front through {@link #create(Path)}'s builder,
 * because the header (and so every offset) must be known before the first data byte. The file is
 * built as a temporary file next to the target; callers fill each tensor's {@link #segment(String)}
 * in any order, from any thread, then {@link #commit()} forces it to disk and moves it atomically
 * into place. {@link #close()} without a commit deletes the temporary file, so an aborted run leaves
 * neither a partial file at the target nor litter beside it. Bytes never written read as zero.
 *
 * <p>Owns one shared {@link Arena} (the mapping) and one {@link FileChannel}, both released by
 * {@link #commit()} or {@link #close()}.
 */
public final class MappedSafetensorsWriter implements AutoCloseable {
    private enum State { OPEN, COMMITTED, CLOSED }

    private final Path target;
    private final Path temp;
    private final HeaderEncoder.Encoded layout;
    private final Map<String, TensorInfo> byName;
    private final FileChannel channel;
    private final Arena arena;
    private final MemorySegment mapping;
    private State state = State.OPEN;

    private MappedSafetensorsWriter(Path target, Path temp, HeaderEncoder.Encoded layout, FileChannel channel,
                                    Arena arena, MemorySegment mapping) {
        this.target = target;
        this.temp = temp;
        this.layout = layout;
        this.channel = channel;
        this.arena = arena;
        this.mapping = mapping;
        Map<String, TensorInfo> index = new LinkedHashMap<>();
        for (TensorInfo tensor : layout.tensors()) {
            index.put(tensor.name(), tensor);
        }
        this.byName = index;
    }

    /**
     * Starts declaring a file to be written at {@code target}.
     *
     * @param target the final file path; its directory must exist
     * @return a builder for the metadata and tensor declarations
     */
    public static Builder create(Path target) {
        return new Builder(Objects.requireNonNull(target, "target is null"));
    }

    /** Collects metadata and tensor declarations, then creates and maps the temporary file. */
    public static final class Builder {
        private final Path target;
        private final Map<String, String> metadata = new LinkedHashMap<>();
        private final List<HeaderEncoder.Declared> declared = new ArrayList<>();

        private Builder(Path target) {
            this.target = target;
        }

        /**
         * Adds a {@code __metadata__} entry; a repeated key replaces the earlier value.
         *
         * @param key the metadata key
         * @param value the metadata value
         * @return this builder
         */
        public Builder metadata(String key, String value) {
            metadata.put(Objects.requireNonNull(key, "key is null"), Objects.requireNonNull(value, "value is null"));
            return this;
        }

        /**
         * Declares a tensor; tensors are laid out in declaration order.
         *
         * @param name a name not declared before
         * @param dtype the element type
         * @param shape the dimensions
         * @return this builder
         * @throws IllegalArgumentException if the name is taken or reserved or a dimension is negative
         */
        public Builder declare(String name, DType dtype, long[] shape) {
            HeaderEncoder.Declared tensor = new HeaderEncoder.Declared(name, dtype, shape);
            for (HeaderEncoder.Declared existing : declared) {
                if (existing.name().equals(name)) {
                    throw new IllegalArgumentException("tensor " + name + " was already declared for " + target);
                }
            }
            declared.add(tensor);
            return this;
        }

        /**
         * Creates the temporary file, writes the header and maps the whole file for writing.
         *
         * @return the open writer; commit or close it
         * @throws UncheckedIOException if the file cannot be created or mapped
         */
        public MappedSafetensorsWriter open() {
            HeaderEncoder.Encoded layout = HeaderEncoder.encode(metadata, declared);
            Path temp = SafetensorsWriter.AtomicTarget.createTemp(target);
            Arena arena = Arena.ofShared();
            FileChannel channel = null;
            boolean success = false;
            try {
                channel = FileChannel.open(temp, StandardOpenOption.READ, StandardOpenOption.WRITE);
                // Every block is allocated before anything is written or mapped: a store into a mapped page the
                // disk cannot back would be a SIGBUS.
                SpaceReservation.reserve(channel, temp, layout.fileSize(), "the file " + target);
                var header = layout.prefixAndHeader().duplicate();
                while (header.hasRemaining()) {
                    channel.write(header, header.position());
                }
                MemorySegment mapping = channel.map(FileChannel.MapMode.READ_WRITE, 0, layout.fileSize(), arena);
                MappedSafetensorsWriter writer =
                        new MappedSafetensorsWriter(target, temp, layout, channel, arena, mapping);
                success = true;
                return writer;
            } catch (IOException e) {
                if (SpaceReservation.isNoSpace(e)) {
                    throw new DiskSpaceException(temp, "the file " + target, layout.fileSize(),
                            SpaceReservation.usableSpace(temp), e);
                }
                throw new UncheckedIOException("cannot create mapped safetensors file for " + target + ": " + e, e);
            } finally {
                if (!success) {
                    arena.close();
                    closeQuietly(channel);
                    SafetensorsWriter.AtomicTarget.deleteQuietly(temp);
                }
            }
        }
    }

    /**
     * Returns the path the file is moved to on {@link #commit()}.
     *
     * @return the target path
     */
    public Path target() {
        return target;
    }

    /**
     * Returns the declared tensors with their assigned offsets, in data order.
     *
     * @return an unmodifiable list
     */
    public List<TensorInfo> tensors() {
        return layout.tensors();
    }

    /**
     * Returns the writable little-endian bytes of one declared tensor (may exceed 2 GB).
     *
     * @param name a declared tensor name
     * @return a segment of exactly the tensor's byte length, valid until commit or close
     * @throws IllegalArgumentException if no tensor of that name was declared
     * @throws IllegalStateException if the writer is already committed or closed
     */
    public synchronized MemorySegment segment(String name) {
        Objects.requireNonNull(name, "name is null");
        ensureOpen();
        TensorInfo tensor = byName.get(name);
        if (tensor == null) {
            throw new IllegalArgumentException("tensor " + name + " was not declared for " + target
                    + "; declared: " + byName.keySet());
        }
        return mapping.asSlice(layout.dataStart() + tensor.begin(), tensor.byteLength());
    }

    /**
     * Forces the data to disk, unmaps, and atomically moves the file to the target (replacing it).
     * Segments handed out earlier become inaccessible.
     *
     * @throws UncheckedIOException if forcing or moving fails; the temporary file is then deleted
     * @throws IllegalStateException if already committed or closed
     */
    public synchronized void commit() {
        ensureOpen();
        boolean success = false;
        try {
            mapping.force();
            arena.close();
            channel.force(true);
            channel.close();
            SafetensorsWriter.AtomicTarget.moveIntoPlace(temp, target);
            state = State.COMMITTED;
            success = true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot commit safetensors file " + target + ": " + e, e);
        } finally {
            if (!success) {
                release();
                state = State.CLOSED;
            }
        }
    }

    /**
     * Releases the mapping and channel; if not committed, deletes the temporary file. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (state == State.OPEN) {
            release();
            state = State.CLOSED;
        }
    }

    private void release() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
        closeQuietly(channel);
        SafetensorsWriter.AtomicTarget.deleteQuietly(temp);
    }

    private void ensureOpen() {
        if (state != State.OPEN) {
            throw new IllegalStateException("MappedSafetensorsWriter for " + target + " has been "
                    + (state == State.COMMITTED ? "committed" : "closed") + " already");
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // Nothing was written through the channel that the caller still depends on.
            }
        }
    }

    @Override
    public String toString() {
        return "MappedSafetensorsWriter[" + target + ", " + state + "]";
    }
}
