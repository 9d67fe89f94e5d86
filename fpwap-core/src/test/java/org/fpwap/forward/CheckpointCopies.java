package org.fpwap.forward;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.fpwap.safetensors.DType;
import org.fpwap.safetensors.SafetensorsFile;
import org.fpwap.safetensors.SafetensorsWriter;
import org.fpwap.safetensors.TensorInfo;

/** Test helpers that copy a single-file model directory tensor by tensor, renaming or converting on the way. */
public final class CheckpointCopies {

    private CheckpointCopies() {}

    /** One tensor: name, dtype, shape and raw little-endian bytes. */
    public record Entry(String name, DType dtype, long[] shape, byte[] data) {}

    /**
     * Copies {@code src}'s {@code config.json} and {@code model.safetensors} to {@code dst}, passing every
     * tensor through {@code f} (which returns the tensor to write, or null to leave it out).
     */
    public static Path rewrite(Path src, Path dst, UnaryOperator<Entry> f) {
        try {
            Files.createDirectories(dst);
            Files.copy(src.resolve("config.json"), dst.resolve("config.json"));
            SafetensorsWriter writer = SafetensorsWriter.create(dst.resolve("model.safetensors"));
            try (SafetensorsFile file = SafetensorsFile.open(src.resolve("model.safetensors"))) {
                for (TensorInfo t : file.tensors()) {
                    Entry e = f.apply(new Entry(t.name(), t.dtype(), t.shape(), file.data(t).toArray(ValueLayout.JAVA_BYTE)));
                    if (e != null) {
                        writer.add(e.name(), e.dtype(), e.shape(), e.data());
                    }
                }
            }
            writer.write();
            return dst;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The exact FP32 value of every BF16 / F16 element, widened here in plain Java: BF16 is the top
     * half of an FP32 ({@code bits << 16}); F16 goes through {@link Float#float16ToFloat}.
     */
    public static Entry widenToF32(Entry e) {
        ByteBuffer in = ByteBuffer.wrap(e.data()).order(ByteOrder.LITTLE_ENDIAN);
        int n = e.data().length / 2;
        ByteBuffer out = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            short bits = in.getShort(2 * i);
            float v = switch (e.dtype()) {
                case BF16 -> Float.intBitsToFloat((bits & 0xFFFF) << 16);
                case F16 -> Float.float16ToFloat(bits);
                default -> throw new IllegalArgumentException(e.name() + " is " + e.dtype() + ", not a 16-bit float");
            };
            out.putFloat(4 * i, v);
        }
        return new Entry(e.name(), DType.F32, e.shape(), out.array());
    }
}
