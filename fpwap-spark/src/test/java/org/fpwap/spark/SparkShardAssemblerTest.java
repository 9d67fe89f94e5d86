package org.fpwap.spark;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The driver's coverage check names the shards it refuses by partition, attempt and host. */
class SparkShardAssemblerTest {

    private static ShardOutput shard(int partition, int attempt, String host, long... ids) {
        return new ShardOutput(partition, attempt, host, ids, List.of(), List.of(), 0, 0, 0, 0);
    }

    @Test
    void aSampleInTwoShardsNamesBothAttemptsAndHosts() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ShardAssembler.checkCoverage(
                List.of(shard(0, 0, "node-a", 0, 1), shard(1, 2, "node-b", 1, 2)), 3));
        assertTrue(e.getMessage().contains("sample 1 is in partition 0 (attempt 0 on host node-a) and partition 1 (attempt 2 on host"
                + " node-b)"), e.getMessage());
    }

    @Test
    void aSampleOutsideTheDatasetNamesTheAttemptAndHost() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ShardAssembler.checkCoverage(
                List.of(shard(3, 1, "node-c", 0, 7)), 2));
        assertTrue(e.getMessage().contains("partition 3 (attempt 1 on host node-c) holds sample 7"), e.getMessage());
    }

    @Test
    void aMissingSampleIsNamed() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ShardAssembler.checkCoverage(
                List.of(shard(0, 0, "node-a", 0, 2)), 3));
        assertTrue(e.getMessage().contains("no partition holds sample 1"), e.getMessage());
    }
}
