package org.fpwap.safetensors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes a safetensors file whose tensors fit on the heap: artifacts, small outputs, test models.
 *
 * <p>Tensors are laid out in insertion order and the header is padded with spaces to a multiple
 * of 8 bytes, as the Python library does. {@link #write()} writes a temporary file in the target's
 * directory and atomically moves it into place, so a crash never leaves a half-written file under
 * the target name. For outputs larger than the heap use {@link MappedSafetensorsWriter}.
 *
 * <p>Not thread-safe; meant to be filled and written by one thread.
 */
public final class SafetensorsWriter {
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path target;
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final List<HeaderEncoder.Declared> declared = new ArrayList<>();
    private final List<byte[]> contents = new ArrayList<>();

    private SafetensorsWriter(Path target) {
        this.target = target;
    }

    /**
     * Starts a file to be written at {@code target}; nothing touches the disk until {@link #write()}.
     *
     * @param target the final file path; its directory must exist
     * @return an empty writer
     */
    public static SafetensorsWriter create(Path target) {
        return new SafetensorsWriter(Objects.requireNonNull(target, "target is null"));
    }

    /**
     * Adds a {@code __metadata__} entry; a repeated key replaces the earlier value.
     *
     * @param key the metadata key
     * @param value the metadata value
     * @return this writer
     */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(Objects.requireNonNull(key, "key is null"), Objects.requireNonNull(value, "value is null"));
        return this;
    }

    /**
     * Adds a tensor from raw little-endian bytes. The bytes are copied.
     *
     * @param name a name not used before in this file
     * @param dtype the element type
     * @param shape the dimensions
     * @param data exactly {@code product(shape) * dtype.byteSize()} little-endian bytes
     * @return this writer
     * @throws IllegalArgumentException if the name is taken or reserved, or the byte count is wrong
     */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, byte[] data) {
        HeaderEncoder.Declared tensor = new HeaderEncoder.Declared(name, dtype, shape);
        Objects.requireNonNull(data, "data is null");
        long expected = tensor.byteLength();
        if (data.length != expected) {
            throw new IllegalArgumentException("tensor " + name + ": expected " + expected + " bytes for " + dtype + " "
                    + Arrays.toString(shape) + ", got " + data.length);
        }
        for (HeaderEncoder.Declared existing : declared) {
            if (existing.name().equals(name)) {
                throw new IllegalArgumentException("tensor " + name + " was already added to " + target);
            }
        }
        declared.add(tensor);
        contents.add(data.clone());
        return this;
    }

    /**
     * Adds an F32 tensor.
     *
     * @param name a name not used before in this file
     * @param shape the dimensions
     * @param data {@code product(shape)} values in row-major order
     * @return this writer
     */
    public SafetensorsWriter addF32(String name, long[] shape, float[] data) {
        byte[] bytes = new byte[Math.multiplyExact(data.length, Float.BYTES)];
        MemorySegment.copy(data, 0, MemorySegment.ofArray(bytes), F32_LE, 0, data.length);
        return add(name, DType.F32, shape, bytes);
    }

    /**
     * Adds a BF16 tensor, rounding each value to nearest-even (as PyTorch does).
     *
     * @param name a name not used before in this file
     * @param shape the dimensions
     * @param data {@code product(shape)} values in row-major order
     * @return this writer
     */
    public SafetensorsWriter addBf16(String name, long[] shape, float[] data) {
        MemorySegment bytes = MemorySegment.ofArray(new byte[Math.multiplyExact(data.length, 2)]);
        for (int i = 0; i < data.length; i++) {
            bytes.set(I16_LE, 2L * i, Widening.f32ToBf16(data[i]));
        }
        return add(name, DType.BF16, shape, bytes.toArray(ValueLayout.JAVA_BYTE));
    }

    /**
     * Adds an F16 tensor, rounding each value with {@link Float#floatToFloat16(float)}.
     *
     * @param name a name not used before in this file
     * @param shape the dimensions
     * @param data {@code product(shape)} values in row-major order
     * @return this writer
     */
    public SafetensorsWriter addF16(String name, long[] shape, float[] data) {
        MemorySegment bytes = MemorySegment.ofArray(new byte[Math.multiplyExact(data.length, 2)]);
        for (int i = 0; i < data.length; i++) {
            bytes.set(I16_LE, 2L * i, Float.floatToFloat16(data[i]));
        }
        return add(name, DType.F16, shape, bytes.toArray(ValueLayout.JAVA_BYTE));
    }

    /**
     * Adds an I64 tensor.
     *
     * @param name a name not used before in this file
     * @param shape the dimensions
     * @param data {@code product(shape)} values in row-major order
     * @return this writer
     */
    public SafetensorsWriter addI64(String name, long[] shape, long[] data) {
        byte[] bytes = new byte[Math.multiplyExact(data.length, Long.BYTES)];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().put(data);
        return add(name, DType.I64, shape, bytes);
    }

    /**
     * Adds an I32 tensor.
     *
     * @param name a name not used before in this file
     * @param shape the dimensions
     * @param data {@code product(shape)} values in row-major order
     * @return this writer
     */
    public SafetensorsWriter addI32(String name, long[] shape, int[] data) {
        byte[] bytes = new byte[Math.multiplyExact(data.length, Integer.BYTES)];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().put(data);
        return add(name, DType.I32, shape, bytes);
    }

    /**
     * Writes the file: to a temporary file in the target's directory, forced to disk, then moved
     * atomically over the target (replacing an existing file).
     *
     * @return the target path
     * @throws UncheckedIOException if writing or moving fails; the temporary file is then deleted
     */
    public Path write() {
        HeaderEncoder.Encoded encoded = HeaderEncoder.encode(metadata, declared);
        AtomicTarget.write(target, temp -> {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                writeFully(channel, encoded.prefixAndHeader());
                for (byte[] content : contents) {
                    writeFully(channel, ByteBuffer.wrap(content));
                }
                channel.force(true);
            }
        });
        return target;
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /** Creates the temporary file next to the target, runs the body, and moves or deletes it. */
    static final class AtomicTarget {
        private AtomicTarget() {}

        interface Body {
            void fill(Path temp) throws IOException;
        }

        static void write(Path target, Body body) {
            Path temp = createTemp(target);
            boolean success = false;
            try {
                body.fill(temp);
                moveIntoPlace(temp, target);
                success = true;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write safetensors file " + target + ": " + e, e);
            } finally {
                if (!success) {
                    deleteQuietly(temp);
                }
            }
        }

        static Path createTemp(Path target) {
            Path absolute = target.toAbsolutePath();
            try {
                // Same directory, so the final move is a rename within one file system.
                return Files.createTempFile(absolute.getParent(), "." + absolute.getFileName() + ".", ".tmp");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a temporary file next to " + target + ": " + e, e);
            }
        }

        static void moveIntoPlace(Path temp, Path target) throws IOException {
            Files.move(temp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }

        static void deleteQuietly(Path temp) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // The original failure is the one worth reporting; a stray .tmp file is harmless.
            }
        }
    }
}
