package org.fpwap.callback;

import static java.util.Objects.requireNonNull;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.fpwap.forward.Hook;
import org.fpwap.safetensors.SafetensorsFile;
import org.fpwap.safetensors.SafetensorsWriter;
import org.fpwap.safetensors.TensorInfo;

/**
 * Named tensors and metadata a callback produces at the end of a layer (or of the sweep): a PCA basis,
 * class means, a steering direction. Written as safetensors, readable by Python's {@code safetensors}.
 *
 * @param kind what it is ({@code pca}, {@code diff_of_means}, ...)
 * @param layer the layer it describes, empty for sweep-level artifacts
 * @param hook the hook it describes, if any
 * @param tensors the tensors, in order
 * @param metadata string metadata (written to the safetensors header)
 */
public record Artifact(String kind, OptionalInt layer, Optional<Hook> hook, Map<String, ArtifactTensor> tensors,
        Map<String, String> metadata) {

    public Artifact {
        requireNonNull(kind, "kind is null");
        requireNonNull(layer, "layer is null");
        requireNonNull(hook, "hook is null");
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        if (kind.isBlank() || !kind.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("artifact kind must be a non-empty file-name-safe word, got \"" + kind + "\"");
        }
    }

    /** The tensor called {@code name}; fails naming the artifact and the tensors it has. */
    public ArtifactTensor tensor(String name) {
        ArtifactTensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("artifact " + kind + " has no tensor \"" + name + "\"; it has " + tensors.keySet());
        }
        return t;
    }

    /** Writes this artifact to {@code file} (atomically) with its kind, layer and hook in the metadata. */
    public Path write(Path file) {
        SafetensorsWriter writer = SafetensorsWriter.create(file);
        writer.metadata("kind", kind);
        layer.ifPresent(l -> writer.metadata("layer", Integer.toString(l)));
        hook.ifPresent(h -> writer.metadata("hook", h.wireName()));
        metadata.forEach(writer::metadata);
        tensors.forEach((name, t) -> {
            switch (t) {
                case ArtifactTensor.F32 f -> writer.addF32(name, f.shape(), f.data());
                case ArtifactTensor.I64 i -> writer.addI64(name, i.shape(), i.data());
            }
        });
        return writer.write();
    }

    /** Reads an artifact written by {@link #write} (or any safetensors file of F32/I64 tensors). */
    public static Artifact read(Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, String> meta = new LinkedHashMap<>(f.metadata());
            String kind = Optional.ofNullable(meta.remove("kind")).orElse("artifact");
            OptionalInt layer = Optional.ofNullable(meta.remove("layer")).map(s -> OptionalInt.of(Integer.parseInt(s)))
                    .orElse(OptionalInt.empty());
            Optional<Hook> hook = Optional.ofNullable(meta.remove("hook")).flatMap(Hook::fromWireName);
            Map<String, ArtifactTensor> tensors = new LinkedHashMap<>();
            for (TensorInfo info : f.tensors()) {
                MemorySegment data = f.data(info.name());
                int n = Math.toIntExact(info.elementCount());
                switch (info.dtype()) {
                    case F32 -> {
                        float[] v = new float[n];
                        MemorySegment.copy(data, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, v, 0, n);
                        tensors.put(info.name(), ArtifactTensor.f32(info.shape(), v));
                    }
                    case I64 -> {
                        long[] v = new long[n];
                        MemorySegment.copy(data, ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, v, 0, n);
                        tensors.put(info.name(), ArtifactTensor.i64(info.shape(), v));
                    }
                    default -> throw new IllegalArgumentException(file + ": tensor \"" + info.name() + "\" has dtype "
                            + info.dtype() + "; artifacts hold F32 and I64 tensors");
                }
            }
            return new Artifact(kind, layer, hook, tensors, meta);
        }
    }
}
