package org.fpwap.spark;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
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

/**
 * Concatenates the shards' emit files, in partition order, into one file per stream in dataset order (the same
 * layout a single sweep writes). Also checks that the shards cover the dataset exactly once, so a retried task
 * can neither duplicate nor drop rows.
 */
final class ShardAssembler {

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private ShardAssembler() {}

    /** Fails unless {@code shards} (sorted by partition) are consecutive ranges covering {@code 0..sampleCount-1}. */
    static void checkCoverage(List<ShardOutput> shards, int sampleCount) {
        long next = 0;
        for (ShardOutput s : shards) {
            if (s.firstSample() != next) {
                throw new IllegalStateException("partition " + s.partition() + " starts at sample " + s.firstSample()
                        + " but the previous partitions end at " + next + "; shards must cover the dataset exactly once");
            }
            next += s.sampleCount();
        }
        if (next != sampleCount) {
            throw new IllegalStateException("the shards hold " + next + " samples; the dataset has " + sampleCount);
        }
    }

    /** Writes one file per stream under {@code dir}; {@code lengths} are the dataset's, in dataset order. */
    static Map<EmitStream, Path> assemble(List<ShardOutput> shards, int[] lengths, Path dir) {
        Map<EmitStream, Path> out = new LinkedHashMap<>();
        List<ShardOutput.StreamFile> streams = shards.getFirst().streams();
        for (int k = 0; k < streams.size(); k++) {
            ShardOutput.StreamFile head = streams.get(k);
            EmitStream stream = new EmitStream(head.callback(), head.layer(), Hook.fromWireName(head.hook()).orElseThrow());
            Path target = dir.resolve("emit-" + k + ".safetensors");
            EmitWriter writer = null;
            try {
                for (ShardOutput shard : shards) {
                    ShardOutput.StreamFile file = shard.streams().size() > k ? shard.streams().get(k) : null;
                    if (file == null || !file.callback().equals(head.callback()) || file.layer() != head.layer()
                            || !file.hook().equals(head.hook())) {
                        throw new IllegalStateException("partition " + shard.partition() + " did not emit stream " + stream
                                + "; every shard must emit the same streams");
                    }
                    OptionalLong[] noLabels = new OptionalLong[shard.sampleCount()];
                    Arrays.fill(noLabels, OptionalLong.empty());
                    try (ActivationTable table = ActivationTable.open(Path.of(file.path()), noLabels)) {
                        if (writer == null) {
                            writer = EmitWriter.create(target, lengths, table.hiddenSize(), table.ragged(),
                                    Map.of("callback", stream.callback(), "layer", Integer.toString(stream.layer()),
                                            "hook", stream.hook().wireName()));
                        }
                        for (int r = 0; r < shard.sampleCount(); r++) {
                            writer.put(Math.toIntExact(shard.firstSample() + r), table.rowData(r).toArray(FLOAT), 0);
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
}
