package org.fpwap.extract;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.fpwap.dataset.Sample;
import org.fpwap.result.ActivationRows;
import org.fpwap.safetensors.DType;
import org.fpwap.safetensors.MappedSafetensorsWriter;

/**
 * One (layer, hook)'s activations in dataset order, written straight into a memory-mapped safetensors
 * file as microbatches finish in any order. Row {@code i} holds sample {@code i}; for ragged output its
 * tokens start at {@code offsets[i]}, known up front from the prompt lengths. The file is either
 * committed as the safetensors output or read back to export Arrow, then discarded.
 */
final class ActivationStore implements ActivationRows, AutoCloseable {

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MappedSafetensorsWriter writer;
    private final MemorySegment activations;
    private final List<Sample> samples;
    private final long[] offsets;
    private final int hidden;
    private final boolean ragged;

    private ActivationStore(MappedSafetensorsWriter writer, List<Sample> samples, long[] offsets, int hidden, boolean ragged) {
        this.writer = writer;
        this.activations = writer.segment("activations");
        this.samples = samples;
        this.offsets = offsets;
        this.hidden = hidden;
        this.ragged = ragged;
    }

    /** Declares the file at {@code target} for {@code samples} (whose ids are 0..N-1 in order). */
    static ActivationStore create(Path target, List<Sample> samples, int hidden, boolean ragged, Map<String, String> metadata) {
        int n = samples.size();
        long[] offsets = new long[n + 1];
        for (int i = 0; i < n; i++) {
            if (samples.get(i).id() != i) {
                throw new IllegalArgumentException("sample at index " + i + " has id " + samples.get(i).id());
            }
            offsets[i + 1] = offsets[i] + (ragged ? samples.get(i).length() : 1);
        }
        MappedSafetensorsWriter.Builder builder = MappedSafetensorsWriter.create(target);
        metadata.forEach(builder::metadata);
        builder.declare("activations", DType.F32, new long[] {offsets[n], hidden});
        if (ragged) {
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
            if (ragged) {
                MemorySegment off = writer.segment("offsets");
                for (int i = 0; i <= n; i++) {
                    off.setAtIndex(LONG, i, offsets[i]);
                }
            }
            ActivationStore store = new ActivationStore(writer, samples, offsets, hidden, ragged);
            success = true;
            return store;
        } finally {
            if (!success) {
                writer.close();
            }
        }
    }

    /** Stores sample {@code row}'s vectors: {@code tokenCount(row) × H} floats from {@code src[from..]}. */
    void put(int row, float[] src, int from) {
        long count = (long) tokenCount(row) * hidden;
        MemorySegment.copy(src, from, activations, FLOAT, offsets[row] * hidden * Float.BYTES, (int) count);
    }

    /** Makes the file permanent at its target. */
    void commit() {
        writer.commit();
    }

    @Override
    public int hiddenSize() {
        return hidden;
    }

    @Override
    public int sampleCount() {
        return samples.size();
    }

    @Override
    public boolean ragged() {
        return ragged;
    }

    @Override
    public long sampleId(int row) {
        return samples.get(row).id();
    }

    @Override
    public OptionalLong label(int row) {
        return samples.get(row).label();
    }

    @Override
    public int tokenCount(int row) {
        return (int) (offsets[row + 1] - offsets[row]);
    }

    @Override
    public MemorySegment rowData(int row) {
        long bytes = (long) hidden * Float.BYTES;
        return activations.asSlice(offsets[row] * bytes, tokenCount(row) * bytes);
    }

    /** Discards the file unless it was committed. */
    @Override
    public void close() {
        writer.close();
    }
}
