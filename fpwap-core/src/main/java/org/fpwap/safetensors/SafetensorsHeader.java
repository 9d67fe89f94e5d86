package org.fpwap.safetensors;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The parsed and validated header of one safetensors file.
 *
 * <p>{@link #read(Path)} reads only the 8-byte prefix and the JSON header and never maps the file,
 * so preflight and inspection stay fast even over hundreds of gigabytes of shards. A header that
 * exists has passed every check {@link SafetensorsFile} relies on.
 */
public final class SafetensorsHeader {
    /** Largest header accepted, as in the Rust crate: a bigger one is a corrupt or hostile file. */
    public static final long MAX_HEADER_LENGTH = 100_000_000L;

    static final int LENGTH_PREFIX_BYTES = Long.BYTES;

    private final Path file;
    private final Map<String, String> metadata;
    private final List<TensorInfo> tensors;
    private final Map<String, TensorInfo> byName;
    private final long headerLength;
    private final long fileSize;

    private SafetensorsHeader(Path file, Map<String, String> metadata, List<TensorInfo> tensors,
                              long headerLength, long fileSize) {
        this.file = file;
        this.metadata = metadata;
        this.tensors = tensors;
        Map<String, TensorInfo> index = new LinkedHashMap<>();
        for (TensorInfo tensor : tensors) {
            index.put(tensor.name(), tensor);
        }
        this.byName = java.util.Collections.unmodifiableMap(index);
        this.headerLength = headerLength;
        this.fileSize = fileSize;
    }

    /**
     * Reads and validates the header of a file without mapping it.
     *
     * @param file a safetensors file
     * @return the validated header
     * @throws SafetensorsException if the file is missing, unreadable or malformed
     */
    public static SafetensorsHeader read(Path file) {
        Objects.requireNonNull(file, "file is null");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return read(file, channel);
        } catch (NoSuchFileException e) {
            throw new SafetensorsException(file, null, "file not found", e);
        } catch (IOException e) {
            throw new SafetensorsException(file, null, "cannot read header: " + e, e);
        }
    }

    /** Reads the header through a channel the caller owns, so a mapping sees the same file. */
    static SafetensorsHeader read(Path file, FileChannel channel) throws IOException {
        long fileSize = channel.size();
        if (fileSize < LENGTH_PREFIX_BYTES) {
            throw new SafetensorsException(file, "file too short: expected at least " + LENGTH_PREFIX_BYTES
                    + " bytes for the header length, got " + fileSize + " bytes");
        }
        ByteBuffer prefix = ByteBuffer.allocate(LENGTH_PREFIX_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, prefix, 0);
        long headerLength = prefix.getLong(0);
        // The prefix is an unsigned u64: a "negative" long is a length beyond 2^63.
        if (Long.compareUnsigned(headerLength, MAX_HEADER_LENGTH) > 0) {
            throw new SafetensorsException(file, "header too large: expected at most " + MAX_HEADER_LENGTH
                    + " bytes, got " + Long.toUnsignedString(headerLength) + " bytes");
        }
        if (headerLength > fileSize - LENGTH_PREFIX_BYTES) {
            throw new SafetensorsException(file, "header length beyond the file: expected at most "
                    + (fileSize - LENGTH_PREFIX_BYTES) + " bytes after the 8-byte prefix, got a header length of "
                    + headerLength + "; is the file truncated?");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
        readFully(channel, headerBytes, LENGTH_PREFIX_BYTES);
        headerBytes.flip();
        HeaderParser.Parsed parsed = HeaderParser.parse(file, headerBytes);
        long dataLength = fileSize - LENGTH_PREFIX_BYTES - headerLength;
        List<TensorInfo> tensors = DataLayout.validate(file, parsed.tensors(), dataLength);
        return new SafetensorsHeader(file, parsed.metadata(), tensors, headerLength, fileSize);
    }

    private static void readFully(FileChannel channel, ByteBuffer target, long position) throws IOException {
        long at = position;
        while (target.hasRemaining()) {
            int n = channel.read(target, at);
            if (n < 0) {
                throw new EOFException("file ended at byte " + at + " while reading the header");
            }
            at += n;
        }
    }

    /**
     * Returns the file this header was read from.
     *
     * @return the file path as given to {@link #read(Path)}
     */
    public Path file() {
        return file;
    }

    /**
     * Returns the {@code __metadata__} entries in header order.
     *
     * @return an unmodifiable map, empty if the header has none
     */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Returns every tensor in data order (by {@code begin}), which is also the order to read them in.
     *
     * @return an unmodifiable list
     */
    public List<TensorInfo> tensors() {
        return tensors;
    }

    /**
     * Looks a tensor up by name.
     *
     * @param name the tensor name
     * @return its info, or empty if the file has no such tensor
     */
    public Optional<TensorInfo> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /**
     * Looks a tensor up by name, failing if it is absent.
     *
     * @param name the tensor name
     * @return its info
     * @throws SafetensorsException naming the file and the missing tensor
     */
    public TensorInfo require(String name) {
        TensorInfo info = byName.get(Objects.requireNonNull(name, "name is null"));
        if (info == null) {
            throw new SafetensorsException(file, name, "tensor not found: expected it among the file's "
                    + tensors.size() + " tensors, got no entry with that name");
        }
        return info;
    }

    /**
     * Returns the length of the JSON header in bytes, including trailing padding.
     *
     * @return N, the value of the 8-byte prefix
     */
    public long headerLength() {
        return headerLength;
    }

    /**
     * Returns the absolute file offset where the data section starts; tensor offsets are relative to it.
     *
     * @return {@code 8 + headerLength()}
     */
    public long dataStart() {
        return LENGTH_PREFIX_BYTES + headerLength;
    }

    /**
     * Returns the length of the data section, which equals the end of the last tensor.
     *
     * @return bytes after the header
     */
    public long dataLength() {
        return fileSize - dataStart();
    }

    /**
     * Returns the size of the file when its header was read.
     *
     * @return bytes
     */
    public long fileSize() {
        return fileSize;
    }

    @Override
    public String toString() {
        return "SafetensorsHeader[" + file + ", " + tensors.size() + " tensors, " + dataLength() + " data bytes]";
    }
}
