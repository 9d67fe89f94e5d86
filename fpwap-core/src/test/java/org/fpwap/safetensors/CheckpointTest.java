package org.fpwap.safetensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckpointTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final String SHARD_1 = "model-00001-of-00002.safetensors";
    private static final String SHARD_2 = "model-00002-of-00002.safetensors";

    @TempDir
    Path dir;

    /** Two shards and an index that maps a, b to shard 1 and c to shard 2. */
    private void writeShardedCheckpoint() throws IOException {
        SafetensorsWriter.create(dir.resolve(SHARD_1))
                .addF32("a", new long[] {2}, new float[] {1f, 2f})
                .addF32("b", new long[] {1}, new float[] {3f})
                .write();
        SafetensorsWriter.create(dir.resolve(SHARD_2))
                .addF32("c", new long[] {2, 2}, new float[] {4f, 5f, 6f, 7f})
                .write();
        writeIndex("""
                {"metadata": {"total_size": 28}, "weight_map": {
                  "a": "%s", "b": "%s", "c": "%s"}}""".formatted(SHARD_1, SHARD_1, SHARD_2));
    }

    private Path writeIndex(String json) throws IOException {
        return Files.writeString(dir.resolve("model.safetensors.index.json"), json);
    }

    @Test
    void aShardedCheckpointRoundTripsThroughItsIndex() throws IOException {
        writeShardedCheckpoint();
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertEquals(List.of("a", "b", "c"), List.copyOf(checkpoint.tensorNames()));
            assertEquals(List.of(dir.resolve(SHARD_1), dir.resolve(SHARD_2)), checkpoint.files());
            assertEquals(dir.resolve(SHARD_2), checkpoint.fileOf("c"));
            assertEquals(3f, checkpoint.data("b").get(F32, 0));
            assertEquals(7f, checkpoint.data("c").get(F32, 12));
            assertEquals(DType.F32, checkpoint.info("c").dtype());
            assertEquals(28, checkpoint.totalBytes());
            assertEquals("28", checkpoint.metadata().get("total_size"));
            assertTrue(checkpoint.contains("a"));
            assertFalse(checkpoint.contains("d"));
        }
    }

    @Test
    void headersAloneResolveEveryTensorWithoutMapping() throws IOException {
        writeShardedCheckpoint();
        CheckpointHeaders headers = Checkpoint.readHeaders(dir);
        assertEquals(Set.of("a", "b", "c"), headers.tensorNames());
        assertEquals(dir.resolve(SHARD_1), headers.location("b").file());
        assertEquals(new TensorInfo("b", DType.F32, new long[] {1}, 8, 12), headers.info("b"));
        assertEquals(dir.resolve("model.safetensors.index.json"), headers.indexFile().orElseThrow());
        assertEquals(28, headers.totalBytes());
    }

    @Test
    void aMissingShardIsReportedNamingTheIndexTheTensorAndTheShard() throws IOException {
        writeShardedCheckpoint();
        Files.delete(dir.resolve(SHARD_2));
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Checkpoint.open(dir));
        assertEquals(dir.resolve("model.safetensors.index.json"), e.file());
        assertEquals("c", e.tensor().orElseThrow());
        assertTrue(e.getMessage().contains("shard listed in the index is missing"), e.getMessage());
        assertTrue(e.getMessage().contains(dir.resolve(SHARD_2).toString()), e.getMessage());
        assertTrue(e.getMessage().contains("got no such file"), e.getMessage());
    }

    @Test
    void anIndexNamingATensorTheShardLacksIsReported() throws IOException {
        writeShardedCheckpoint();
        writeIndex("{\"weight_map\": {\"a\": \"%s\", \"ghost\": \"%s\"}}".formatted(SHARD_1, SHARD_2));
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Checkpoint.readHeaders(dir));
        assertEquals(dir.resolve("model.safetensors.index.json"), e.file());
        assertEquals("ghost", e.tensor().orElseThrow());
        assertTrue(e.getMessage().contains(dir.resolve(SHARD_2).toString()), e.getMessage());
        assertTrue(e.getMessage().contains("lacks a tensor the index maps to it"), e.getMessage());
        assertThrows(SafetensorsException.class, () -> Checkpoint.open(dir));
    }

    @Test
    void aTensorInAShardButNotInTheIndexIsIgnored() throws IOException {
        writeShardedCheckpoint();
        writeIndex("{\"weight_map\": {\"a\": \"%s\", \"c\": \"%s\"}}".formatted(SHARD_1, SHARD_2));
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertEquals(Set.of("a", "c"), checkpoint.tensorNames());
            assertFalse(checkpoint.contains("b"));
        }
    }

    @Test
    void aTensorListedTwiceInTheIndexIsRejected() throws IOException {
        writeShardedCheckpoint();
        writeIndex("{\"weight_map\": {\"a\": \"%s\", \"a\": \"%s\"}}".formatted(SHARD_1, SHARD_2));
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Checkpoint.open(dir));
        assertEquals("a", e.tensor().orElseThrow());
        assertTrue(e.getMessage().contains("duplicate tensor in weight_map"), e.getMessage());
    }

    @Test
    void anIndexPointingOutsideItsDirectoryIsRejected() throws IOException {
        writeShardedCheckpoint();
        writeIndex("{\"weight_map\": {\"a\": \"../elsewhere.safetensors\"}}");
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Checkpoint.open(dir));
        assertTrue(e.getMessage().contains("got \"../elsewhere.safetensors\""), e.getMessage());
    }

    @Test
    void anIndexWithoutAWeightMapIsRejected() throws IOException {
        writeIndex("{\"metadata\": {}}");
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Checkpoint.open(dir));
        assertTrue(e.getMessage().contains("no weight_map"), e.getMessage());
    }

    @Test
    void aSingleModelFileIsOpened() {
        SafetensorsWriter.create(dir.resolve("model.safetensors")).metadata("format", "pt")
                .addF32("w", new long[] {1}, new float[] {9f}).write();
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertEquals(List.of(dir.resolve("model.safetensors")), checkpoint.files());
            assertEquals(9f, checkpoint.data("w").get(F32, 0));
            assertEquals("pt", checkpoint.metadata().get("format"));
            assertTrue(checkpoint.headers().indexFile().isEmpty());
        }
    }

    @Test
    void aDirectoryWithExactlyOneOtherSafetensorsFileIsOpened() {
        SafetensorsWriter.create(dir.resolve("weights.safetensors")).addF32("w", new long[] {1}, new float[] {9f}).write();
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            assertEquals(dir.resolve("weights.safetensors"), checkpoint.fileOf("w"));
        }
    }

    @Test
    void aDirectoryWithTwoSafetensorsFilesAndNoIndexIsRejected() {
        SafetensorsWriter.create(dir.resolve("x.safetensors")).addF32("w", new long[] {1}, new float[1]).write();
        SafetensorsWriter.create(dir.resolve("y.safetensors")).addF32("w", new long[] {1}, new float[1]).write();
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Checkpoint.open(dir));
        assertEquals(dir, e.file());
        assertTrue(e.getMessage().contains("got 2 *.safetensors files and no index"), e.getMessage());
    }

    @Test
    void aDirectoryWithoutWeightsIsRejected() {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Checkpoint.open(dir));
        assertTrue(e.getMessage().contains("got no *.safetensors file"), e.getMessage());
    }

    @Test
    void askingForAMissingTensorNamesTheCheckpointFileAndTheTensor() throws IOException {
        writeShardedCheckpoint();
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> checkpoint.data("model.layers.7.w"));
            assertEquals("model.layers.7.w", e.tensor().orElseThrow());
            assertEquals(dir.resolve("model.safetensors.index.json"), e.file());
        }
    }

    @Test
    void aCorruptShardFailsOpenNamingTheShard() throws IOException {
        writeShardedCheckpoint();
        Files.write(dir.resolve(SHARD_2), new byte[] {1, 2});
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Checkpoint.open(dir));
        assertEquals(dir.resolve(SHARD_2), e.file());
    }

    @Test
    void closingTheCheckpointClosesEveryShard() throws IOException {
        writeShardedCheckpoint();
        MemorySegment a;
        MemorySegment c;
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            a = checkpoint.data("a");
            c = checkpoint.data("c");
        }
        assertThrows(IllegalStateException.class, () -> a.get(F32, 0));
        assertThrows(IllegalStateException.class, () -> c.get(F32, 0));
    }

    @Test
    void theRealStoriesCheckpointOpens() {
        Path model = Path.of(System.getProperty("fpwap.shared.dir", "../shared"), "models", "stories260K");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(model), "shared stories260K model not present");
        try (Checkpoint checkpoint = Checkpoint.open(model)) {
            TensorInfo embed = checkpoint.info("model.embed_tokens.weight");
            assertEquals(List.of(512L, 64L), java.util.Arrays.stream(embed.shape()).boxed().toList());
            assertEquals(checkpoint.totalBytes(), checkpoint.headers().headers().getFirst().dataLength());
        }
    }
}
