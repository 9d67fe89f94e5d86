package org.fpwap.result;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;
import org.fpwap.callback.Store;
import org.fpwap.io.PageAdvice;
import org.fpwap.safetensors.DType;
import org.fpwap.safetensors.Widening;
import org.fpwap.safetensors.MappedSafetensorsWriter;

/**
 * Writes one stream of emits ({@code [N, W]} per sample, or per real token) straight into a mapped
 * safetensors file in dataset order, as microbatches finish in any order. Row {@code i} is sample
 * {@code i}; for per-token emits its tokens start at {@code offsets[i]}, known up front from the prompt
 * lengths. The file layout is the public {@code extract --format safetensors} contract:
 * {@code activations} F32, {@code offsets} I64 {@code [N+1]} (per token only), {@code sample_ids} I64.
 * Compressed stores change only {@code activations} (BF16, or I8 plus {@code scales} F32 {@code [rows]}).
 */
public final class EmitWriter implements AutoCloseable {

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Bytes of pages touched after which the written pages leave the resident set again. */
    private static final long RELEASE_EVERY_BYTES = 4L << 20;

    private final MappedSafetensorsWriter writer;
    private final MemorySegment activations;
    private final long[] offsets;
    private final int width;
    private final boolean perToken;
    private final Store store;
    /** Int8 only: one FP32 scale per stored vector. */
    private final MemorySegment scales;
    private final PageAdvice advice = PageAdvice.platform();
    private long bytesWritten;
    private final WrittenRanges writtenActivations = new WrittenRanges();
    private final WrittenRanges writtenScales = new WrittenRanges();

    private EmitWriter(MappedSafetensorsWriter writer, long[] offsets, int width, boolean perToken, Store store) {
        this.writer = writer;
        this.activations = writer.segment("activations");
        this.store = store;
        this.scales = store == Store.INT8 ? writer.segment("scales") : null;
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
        return create(target, lengths, width, perToken, Store.F32, metadata);
    }

    /**
     * Declares the file {@code target} as {@link #create(Path, int[], int, boolean, Map)} does, storing
     * vectors as {@code store}: {@code activations} F32, BF16, or I8 with {@code scales} F32 {@code [rows]}.
     */
    public static EmitWriter create(Path target, int[] lengths, int width, boolean perToken, Store store,
            Map<String, String> metadata) {
        int n = lengths.length;
        long[] offsets = new long[n + 1];
        for (int i = 0; i < n; i++) {
            offsets[i + 1] = offsets[i] + (perToken ? lengths[i] : 1);
        }
        MappedSafetensorsWriter.Builder builder = MappedSafetensorsWriter.create(target);
        metadata.forEach(builder::metadata);
        builder.declare("activations", switch (store) {
            case F32 -> DType.F32;
            case BF16 -> DType.BF16;
            case INT8 -> DType.I8;
        }, new long[] {offsets[n], width});
        if (store == Store.INT8) {
            builder.declare("scales", DType.F32, new long[] {offsets[n]});
        }
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
            EmitWriter emitWriter = new EmitWriter(writer, offsets, width, perToken, store);
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

    /** How vectors are stored. */
    public Store store() {
        return store;
    }

    /** Vectors stored for sample {@code row}: its length if per token, else 1. */
    public int vectorCount(int row) {
        return (int) (offsets[row + 1] - offsets[row]);
    }

    /** Stores sample {@code row}'s {@code vectorCount(row) × width} floats from {@code src[from..]} (an F32 file). */
    public void put(int row, float[] src, int from) {
        if (store != Store.F32) {
            throw new IllegalStateException(writer.target() + " stores " + store.wireName() + "; use put(row, EncodedEmit, vector)");
        }
        put(row, new EncodedEmit.Floats(src, width), from / width);
    }

    /**
     * Stores sample {@code row}'s {@code vectorCount(row)} vectors, which start at vector {@code firstVector}
     * of {@code src}, in this file's store (BF16 is rounded to nearest-even here, during the copy).
     *
     * @throws NonFiniteEmitException when an int8 vector held a NaN or infinity (its scale is not finite)
     */
    public void put(int row, EncodedEmit src, int firstVector) {
        if (src.width() != width) {
            throw new IllegalArgumentException("emit width " + src.width() + " does not match the file's " + width);
        }
        int vectors = vectorCount(row);
        long count = (long) vectors * width;
        long from = (long) firstVector * width;
        long at = offsets[row] * width;
        switch (store) {
            case F32 -> MemorySegment.copy(floats(src), (int) from, activations, FLOAT, at * Float.BYTES, (int) count);
            case BF16 -> {
                Widening.f32ToBf16(MemorySegment.ofArray(floats(src)), from * Float.BYTES, activations, at * 2, count);
            }
            case INT8 -> {
                if (!(src instanceof EncodedEmit.Int8 q)) {
                    throw new IllegalArgumentException(writer.target() + " stores int8; encode the emit with EmitEncoder");
                }
                for (int t = 0; t < vectors; t++) {
                    float scale = q.scales()[firstVector + t];
                    if (!Float.isFinite(scale)) {
                        throw new NonFiniteEmitException(row, perToken ? t : -1);
                    }
                }
                MemorySegment.copy(q.scales(), firstVector, scales, FLOAT, offsets[row] * Float.BYTES, vectors);
                MemorySegment.copy(q.values(), (int) from, activations, ValueLayout.JAVA_BYTE, at, (int) count);
                bytesWritten += (long) vectors * Float.BYTES;
            }
        }
        int bytesPerValue = store == Store.F32 ? Float.BYTES : store == Store.BF16 ? 2 : 1;
        bytesWritten += count * bytesPerValue;
        writtenActivations.add(at * bytesPerValue, (at + count) * bytesPerValue);
        if (scales != null) {
            writtenScales.add(offsets[row] * Float.BYTES, (offsets[row] + vectors) * Float.BYTES);
        }
        if (writtenActivations.touchedBytes() + writtenScales.touchedBytes() >= RELEASE_EVERY_BYTES) {
            releaseWrittenPages();
        }
    }

    /**
     * Rows arrive in processing order, scattered over the file, and every page written would stay in the resident
     * set until commit, which then grows with the dataset. Dropping the written pages now and then keeps the data
     * (a shared mapping's dirty pages stay in the page cache); a later row on the same page maps it again.
     */
    private void releaseWrittenPages() {
        writtenActivations.release(advice, activations);
        if (scales != null) {
            writtenScales.release(advice, scales);
        }
    }

    private float[] floats(EncodedEmit src) {
        if (!(src instanceof EncodedEmit.Floats f)) {
            throw new IllegalArgumentException(writer.target() + " stores " + store.wireName() + " but was given int8 values");
        }
        return f.values();
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
