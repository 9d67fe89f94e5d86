package org.fpwap.result;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;
import org.fpwap.safetensors.DType;
import org.fpwap.safetensors.MappedSafetensorsWriter;

/**
 * Writes one stream of emits ({@code [N, W]} per sample, or per real token) straight into a mapped
 * safetensors file in dataset order, as microbatches finish in any order. Row {@code i} is sample
 * {@code i}; for per-token emits its tokens start at {@code offsets[i]}, known up front from the prompt
 * lengths. The file layout is the public {@code extract --format safetensors} contract:
 * {@code activations} F32, {@code offsets} I64 {@code [N+1]} (per token only), {@code sample_ids} I64.
 */
public final class EmitWriter implements AutoCloseable {

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MappedSafetensorsWriter writer;
    private final MemorySegment activations;
    private final long[] offsets;
    private final int width;
    private final boolean perToken;
    private long bytesWritten;

    private EmitWriter(MappedSafetensorsWriter writer, long[] offsets, int width, boolean perToken) {
        this.writer = writer;
        this.activations = writer.segment("activations");
        this.offsets = offsets;
        this.width = width;
        this.perToken = perToken;
    }

    /**
     * Declares the file {@code target} for a dataset whose samples have {@code lengths} (dataset order).
     *
     * @param width values per vector
     * @param perToken one vector per real token (ragged) instead of one per sample
     */
    public static EmitWriter create(Path target, int[] lengths, int width, boolean perToken, Map<String, String> metadata) {
        int n = lengths.length;
        long[] offsets = new long[n + 1];
        for (int i = 0; i < n; i++) {
            offsets[i + 1] = offsets[i] + (perToken ? lengths[i] : 1);
        }
        MappedSafetensorsWriter.Builder builder = MappedSafetensorsWriter.create(target);
        metadata.forEach(builder::metadata);
        builder.declare("activations", DType.F32, new long[] {offsets[n], width});
        if (perToken) {
            builder.declare("offsets", DType.I64, new long[] {n + 1});
        }
        builder.declare("sample_ids", DType.I64, new long[] {n});
        MappedSafetensorsWriter writer = builder.open();
        boolean success = false;
        try {
            MemorySegment ids = writer.segment("sample_ids");
            for (int i = 0; i < n; i++) {
                ids.setAtIndex(LONG, i, i);
            }
            if (perToken) {
                MemorySegment off = writer.segment("offsets");
                for (int i = 0; i <= n; i++) {
                    off.setAtIndex(LONG, i, offsets[i]);
                }
            }
            EmitWriter emitWriter = new EmitWriter(writer, offsets, width, perToken);
            success = true;
            return emitWriter;
        } finally {
            if (!success) {
                writer.close();
            }
        }
    }

    /** Values per vector. */
    public int width() {
        return width;
    }

    /** Whether vectors are per real token. */
    public boolean perToken() {
        return perToken;
    }

    /** Vectors stored for sample {@code row}: its length if per token, else 1. */
    public int vectorCount(int row) {
        return (int) (offsets[row + 1] - offsets[row]);
    }

    /** Stores sample {@code row}'s {@code vectorCount(row) × width} floats from {@code src[from..]}. */
    public void put(int row, float[] src, int from) {
        int count = vectorCount(row) * width;
        MemorySegment.copy(src, from, activations, FLOAT, offsets[row] * width * Float.BYTES, count);
        bytesWritten += (long) count * Float.BYTES;
    }

    /** Bytes stored so far. */
    public long bytesWritten() {
        return bytesWritten;
    }

    /** Makes the file permanent at its target and returns the path. */
    public Path commit() {
        writer.commit();
        return writer.target();
    }

    /** Discards the file unless it was committed. */
    @Override
    public void close() {
        writer.close();
    }
}
