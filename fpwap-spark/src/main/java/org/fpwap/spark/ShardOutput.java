package org.fpwap.spark;

import java.io.Serializable;
import java.util.List;

/**
 * What one successful task attempt left behind: the emit files of its shard's samples (on the
 * shared staging directory, under a directory of its own attempt, so a retried task never mixes with a failed
 * one) and its callbacks' captured states.
 *
 * @param partition the Spark partition
 * @param attempt the task attempt that produced this output
 * @param host the executor's host name
 * @param sampleIds the dataset ids of the shard's samples, ascending: row {@code r} of every emit file is sample
 *     {@code sampleIds[r]}
 * @param streams the emit files, in the shard's stream order
 * @param states one captured state per callback, in callback order
 * @param weightBytesRead checkpoint bytes the shard's sweep read
 * @param residualBytesRead residual-buffer bytes read
 * @param residualBytesWritten residual-buffer bytes written
 * @param emittedBytes emit bytes stored
 */
record ShardOutput(int partition, int attempt, String host, long[] sampleIds,
        List<StreamFile> streams, List<CapturedState> states, long weightBytesRead, long residualBytesRead,
        long residualBytesWritten, long emittedBytes) implements Serializable {

    ShardOutput {
        sampleIds = sampleIds.clone();
        streams = List.copyOf(streams);
        states = List.copyOf(states);
    }

    /** This output without its states (once they have been merged elsewhere). */
    ShardOutput withoutStates() {
        return new ShardOutput(partition, attempt, host, sampleIds, streams, List.of(), weightBytesRead,
                residualBytesRead, residualBytesWritten, emittedBytes);
    }

    /** Names this output in errors: the partition, and which attempt on which host wrote it. */
    String origin() {
        return "partition " + partition + " (attempt " + attempt + " on host " + host + ")";
    }

    /** Samples in the shard. */
    int sampleCount() {
        return sampleIds.length;
    }

    /**
     * One emit file of a shard.
     *
     * @param callback the emitting callback's name
     * @param layer the layer
     * @param hook the hook's wire name
     * @param path the file (the {@code extract --format safetensors} layout)
     */
    record StreamFile(String callback, int layer, String hook, String path) implements Serializable {}
}
