package org.fpwap.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.fpwap.forward.Hook;
import org.fpwap.result.ActivationTable;
import org.fpwap.result.EmitStream;
import org.fpwap.result.EmitWriter;
import org.fpwap.result.EncodedEmit;

/**
 * Merges the shards' emit files into one file per stream in dataset order (the same layout a single sweep writes),
 * placing each shard's rows by their global sample ids. Also checks that the shards cover the dataset exactly once,
 * so a retried task can neither duplicate nor drop rows.
 */
final class ShardAssembler {

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Assembled files are {@code <dir>/.spark-emit-<k>.safetensors}: hidden beside the export. */
    private static final String PREFIX = ".spark-emit-";

    private ShardAssembler() {}

    /** Fails unless {@code shards} hold every sample id {@code 0..sampleCount-1} exactly once. */
    static void checkCoverage(List<ShardOutput> shards, int sampleCount) {
        ShardOutput[] holder = new ShardOutput[sampleCount];
        for (ShardOutput s : shards) {
            for (long id : s.sampleIds()) {
                if (id < 0 || id >= sampleCount) {
                    throw new IllegalStateException(s.origin() + " holds sample " + id + " but the dataset has "
                            + sampleCount + " samples");
                }
                if (holder[(int) id] != null) {
                    throw new IllegalStateException("sample " + id + " is in " + holder[(int) id].origin() + " and "
                            + s.origin() + "; shards must cover the dataset exactly once");
                }
                holder[(int) id] = s;
            }
        }
        for (int id = 0; id < sampleCount; id++) {
            if (holder[id] == null) {
                throw new IllegalStateException("no partition holds sample " + id + "; shards must cover the dataset exactly once");
            }
        }
    }

    /** Writes one file per stream under {@code dir}; {@code lengths} are the dataset's, in dataset order. */
    static Map<EmitStream, Path> assemble(List<ShardOutput> shards, int[] lengths, Path dir) {
        Map<EmitStream, Path> out = new LinkedHashMap<>();
        List<ShardOutput.StreamFile> streams = shards.getFirst().streams();
        for (int k = 0; k < streams.size(); k++) {
            ShardOutput.StreamFile head = streams.get(k);
            EmitStream stream = new EmitStream(head.callback(), head.layer(), Hook.fromWireName(head.hook()).orElseThrow());
            Path target = dir.resolve(PREFIX + k + ".safetensors");
            EmitWriter writer = null;
            try {
                for (ShardOutput shard : shards) {
                    ShardOutput.StreamFile file = shard.streams().size() > k ? shard.streams().get(k) : null;
                    if (file == null || !file.callback().equals(head.callback()) || file.layer() != head.layer()
                            || !file.hook().equals(head.hook())) {
                        throw new IllegalStateException(shard.origin() + " did not emit stream " + stream
                                + "; every shard must emit the same streams");
                    }
                    OptionalLong[] noLabels = new OptionalLong[shard.sampleCount()];
                    Arrays.fill(noLabels, OptionalLong.empty());
                    try (ActivationTable table = ActivationTable.open(Path.of(file.path()), noLabels)) {
                        if (writer == null) {
                            writer = EmitWriter.create(target, lengths, table.hiddenSize(), table.ragged(), table.store(),
                                    Map.of("callback", stream.callback(), "layer", Integer.toString(stream.layer()),
                                            "hook", stream.hook().wireName()));
                        }
                        for (int r = 0; r < shard.sampleCount(); r++) {
                            writer.put(Math.toIntExact(shard.sampleIds()[r]), storedRow(table, r), 0);
                        }
                    }
                }
                out.put(stream, writer.commit());
            } finally {
                if (writer != null) {
                    writer.close();
                }
            }
        }
        return out;
    }

    /** Deletes what {@link #assemble} left in {@code dir}, for a run that failed. */
    static void deleteAssembled(Path dir) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, PREFIX + "*.safetensors")) {
            for (Path f : files) {
                Files.deleteIfExists(f);
            }
        } catch (NoSuchFileException e) {
            // Nothing was assembled.
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the assembled emit files in " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Row {@code r} as the shard stored it, so the assembled file keeps the run's store: int8 values and scales are
     * copied as they are; BF16 rows are widened to FP32 and rounded back by the writer, which gives the same bits
     * (a widened BF16 value is exactly representable in BF16, so round-to-nearest-even returns it unchanged).
     */
    private static EncodedEmit storedRow(ActivationTable table, int r) {
        int width = table.hiddenSize();
        return switch (table.store()) {
            case F32, BF16 -> new EncodedEmit.Floats(table.rowData(r).toArray(FLOAT), width);
            case INT8 -> new EncodedEmit.Int8(table.storedRowData(r).toArray(ValueLayout.JAVA_BYTE),
                    table.rowScales(r).toArray(FLOAT), width);
        };
    }
}
