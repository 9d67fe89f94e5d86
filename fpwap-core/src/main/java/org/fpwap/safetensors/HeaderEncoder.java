package org.fpwap.safetensors;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonWriter;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Lays tensors out back to back in declaration order and encodes the length prefix and JSON header,
 * shared by both writers so they produce byte-identical headers. Metadata keys are written in sorted
 * order, so a header's bytes depend only on its contents.
 */
final class HeaderEncoder {
    private HeaderEncoder() {}

    /** A tensor the caller wants written, before offsets are assigned. */
    record Declared(String name, DType dtype, long[] shape) {
        Declared {
            Objects.requireNonNull(name, "name is null");
            Objects.requireNonNull(dtype, "dtype is null");
            shape = Objects.requireNonNull(shape, "shape is null").clone();
            if (name.equals(HeaderParser.METADATA_KEY)) {
                throw new IllegalArgumentException("tensor name " + HeaderParser.METADATA_KEY + " is reserved for metadata");
            }
            for (long dim : shape) {
                if (dim < 0) {
                    throw new IllegalArgumentException("tensor " + name + ": shape dimensions must be non-negative, got "
                            + Arrays.toString(shape));
                }
            }
        }

        long byteLength() {
            long bytes = dtype.byteSize();
            for (long dim : shape) {
                if (dim == 0) {
                    return 0;
                }
            }
            for (long dim : shape) {
                bytes = Math.multiplyExact(bytes, dim);
            }
            return bytes;
        }
    }

    /** The encoded prefix + header, and the tensors with their offsets. */
    record Encoded(ByteBuffer prefixAndHeader, List<TensorInfo> tensors, long dataLength) {
        long dataStart() {
            return prefixAndHeader.remaining();
        }

        long fileSize() {
            return dataStart() + dataLength;
        }
    }

    static Encoded encode(Map<String, String> metadata, List<Declared> declared) {
        List<TensorInfo> tensors = new ArrayList<>(declared.size());
        Set<String> names = new HashSet<>();
        long offset = 0;
        for (Declared tensor : declared) {
            if (!names.add(tensor.name())) {
                throw new IllegalArgumentException("duplicate tensor name: " + tensor.name());
            }
            long end = Math.addExact(offset, tensor.byteLength());
            tensors.add(new TensorInfo(tensor.name(), tensor.dtype(), tensor.shape(), offset, end));
            offset = end;
        }
        byte[] json = toJson(metadata, tensors).getBytes(StandardCharsets.UTF_8);
        // Pad with spaces to a multiple of 8 as the Python library does, so the data section starts
        // 8-byte aligned and every F32/I64 tensor is naturally aligned in the mapping.
        int padded = Math.addExact(json.length, (8 - json.length % 8) % 8);
        ByteBuffer buffer = ByteBuffer.allocate(SafetensorsHeader.LENGTH_PREFIX_BYTES + padded)
                .order(ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(padded).put(json);
        while (buffer.hasRemaining()) {
            buffer.put((byte) ' ');
        }
        buffer.flip();
        return new Encoded(buffer, List.copyOf(tensors), offset);
    }

    private static String toJson(Map<String, String> metadata, List<TensorInfo> tensors) {
        StringWriter out = new StringWriter();
        try (JsonWriter json = new JsonWriter(out)) {
            json.setStrictness(Strictness.STRICT);
            json.beginObject();
            if (!metadata.isEmpty()) {
                json.name(HeaderParser.METADATA_KEY).beginObject();
                // Sorted, whatever map the caller built (Map.of iterates in a per-JVM order), so the same
                // inputs always give the same bytes.
                for (Map.Entry<String, String> entry : new TreeMap<>(metadata).entrySet()) {
                    json.name(entry.getKey()).value(entry.getValue());
                }
                json.endObject();
            }
            for (TensorInfo tensor : tensors) {
                json.name(tensor.name()).beginObject();
                json.name("dtype").value(tensor.dtype().name());
                json.name("shape").beginArray();
                for (long dim : tensor.shape()) {
                    json.value(dim);
                }
                json.endArray();
                json.name("data_offsets").beginArray().value(tensor.begin()).value(tensor.end()).endArray();
                json.endObject();
            }
            json.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing JSON to a StringWriter cannot fail", e);
        }
        return out.toString();
    }
}
