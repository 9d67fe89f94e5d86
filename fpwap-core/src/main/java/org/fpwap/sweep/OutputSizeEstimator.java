package org.fpwap.sweep;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.fpwap.buffer.ResidualBuffer;
import org.fpwap.callback.OutputSize;
import org.fpwap.callback.Store;
import org.fpwap.result.BatchLimits;
import org.fpwap.dataset.DatasetSummary;
import org.fpwap.model.ModelSpec;
import org.fpwap.result.OutputFormat;

/**
 * Estimates, from the scanned dataset and the callbacks' declared {@link OutputSize footprints}, the disk a
 * sweep needs: residual buffer, emit files, the export's copies and artifacts. Emit files are sized as
 * {@code EmitWriter} lays them out; Arrow copies are bounded from above from {@code ArrowActivationWriter}'s
 * layout (values, ids, labels, validity bits, list offsets, per-batch metadata).
 */
final class OutputSizeEstimator {

    /** Room for one safetensors header (names, shapes, offsets and a few metadata strings). */
    static final long HEADER_BYTES = 4096;
    /** Room for {@code profile.json} and {@code manifest.json}. */
    static final long RUN_FILES_BYTES = 64 * 1024;
    /** Per record batch: its flatbuffer message and the 8-byte padding of each buffer. */
    private static final long ARROW_BATCH_OVERHEAD = 4096;
    /** Schema, footer and magic. */
    private static final long ARROW_FILE_OVERHEAD = 16 * 1024;

    private final ModelSpec spec;
    private final List<Subscription> subscriptions;
    private final Optional<OutputFormat> export;
    private final ResidualBuffer.Transport transport;

    OutputSizeEstimator(ModelSpec spec, List<Subscription> subscriptions, Optional<OutputFormat> export,
            ResidualBuffer.Transport transport) {
        this.spec = spec;
        this.subscriptions = List.copyOf(subscriptions);
        this.export = export;
        this.transport = transport;
    }

    DiskEstimate estimate(DatasetSummary summary) {
        int n = summary.sampleCount();
        long tokens = summary.totalTokens();
        OutputSize.Extent extent = new OutputSize.Extent(spec.hiddenSize(), n, tokens, classes(summary));
        long emits = 0;
        long exports = 0;
        long artifacts = RUN_FILES_BYTES;
        List<String> undeclared = new ArrayList<>();
        for (Subscription s : subscriptions) {
            if (!(s.callback() instanceof OutputSize sized)) {
                undeclared.add(s.callback().name());
                continue;
            }
            OutputSize.Footprint f = sized.footprint(extent);
            long places = (long) s.layers().length * s.callback().hooks().size();
            if (f.emitWidth() > 0) {
                emits = Math.addExact(emits, Math.multiplyExact(places, emitFileBytes(f, n, tokens)));
                if (export.orElse(null) == OutputFormat.ARROW) {
                    exports = Math.addExact(exports, Math.multiplyExact(places, arrowFileBytes(f, n, tokens)));
                }
            }
            if (f.artifactBytes() > 0) {
                artifacts = Math.addExact(artifacts, Math.multiplyExact(places, f.artifactBytes() + HEADER_BYTES));
            }
        }
        long residual = ResidualBuffer.fileBytesFor(spec.hiddenSize(), tokens, transport);
        return new DiskEstimate(residual, emits, exports, artifacts, undeclared);
    }

    /**
     * {@code activations} [rows, W] in the footprint's store (plus {@code scales} F32 [rows] for int8),
     * {@code sample_ids} I64 [N], {@code offsets} I64 [N+1] per token.
     */
    static long emitFileBytes(OutputSize.Footprint f, int samples, long tokens) {
        long rows = f.perToken() ? tokens : samples;
        long bytes = storedBytes(f, rows);
        bytes += (long) samples * Long.BYTES;
        if (f.perToken()) {
            bytes += (samples + 1L) * Long.BYTES;
        }
        return bytes + HEADER_BYTES;
    }

    /** The stored values of {@code rows} vectors, with int8's scale per vector. */
    private static long storedBytes(OutputSize.Footprint f, long rows) {
        long values = Math.multiplyExact(Math.multiplyExact(rows, f.emitWidth()), f.store().bytesPerValue());
        return f.store() == Store.INT8 ? values + rows * Float.BYTES : values;
    }

    /**
     * An upper bound on the Arrow file: the stored values, ids, labels with their validity bitmap, offsets, and
     * one message per record batch ({@link BatchLimits#DEFAULT}, as the writer cuts them).
     */
    static long arrowFileBytes(OutputSize.Footprint f, int samples, long tokens) {
        long rows = f.perToken() ? tokens : samples;
        long values = storedBytes(f, rows) + 8;
        long bytes = values + (long) samples * (2 * Long.BYTES) + samples / 4 + 16;
        if (f.perToken()) {
            bytes += (samples + 1L) * Integer.BYTES;
        }
        long valueBytes = Math.multiplyExact(Math.multiplyExact(rows, f.emitWidth()), f.store().bytesPerValue());
        long batches = Math.max(1, Math.max(ceilDiv(valueBytes, BatchLimits.DEFAULT.maxFloatBytes()),
                ceilDiv(samples, BatchLimits.DEFAULT.maxRows())));
        // A batch may also end one row early; allow one extra per batch boundary.
        return bytes + (2 * batches + 1) * ARROW_BATCH_OVERHEAD + ARROW_FILE_OVERHEAD;
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    private static int classes(DatasetSummary summary) {
        Set<Long> seen = new HashSet<>();
        long[] labels = summary.labels();
        for (int i = summary.labelled().nextSetBit(0); i >= 0; i = summary.labelled().nextSetBit(i + 1)) {
            seen.add(labels[i]);
        }
        return seen.size();
    }
}
