package org.fpwap.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.fpwap.callback.Artifact;
import org.fpwap.callback.ArtifactTensor;
import org.fpwap.forward.Hook;
import org.fpwap.result.EmitStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal file: an entry read back equals the one committed (artifact bits, metadata order, state
 * bytes); a commit replaces the previous entry and leaves no temporary file; a torn or foreign file is
 * refused with the path and the remedy; identities name each differing entry.
 */
class JournalTest {

    @TempDir
    Path dir;

    private static JournalEntry entry(int layer) {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("z_first", "1");
        metadata.put("a_second", "ü");
        Artifact a = new Artifact("pca", OptionalInt.of(layer), Optional.of(Hook.MLP_OUT),
                Map.of("components", ArtifactTensor.f32(new long[] {2, 2}, new float[] {Float.NaN, -0f, 1e-40f, 3f})),
                metadata);
        Artifact sweepLevel = new Artifact("tally", OptionalInt.empty(), Optional.empty(),
                Map.of("n", ArtifactTensor.i64(new long[] {1}, new long[] {Long.MIN_VALUE})), Map.of());
        return new JournalEntry(new RunIdentity(Map.of("model fingerprint", "abc", "dataset digest", "def")),
                new JournalEntry.Microbatching(16, Long.MAX_VALUE, 0.8), layer, false,
                Map.of(new EmitStream("RawActivations", layer, Hook.RESIDUAL_POST), "RawActivations.layer-0.residual_post.safetensors"),
                List.of(a, sweepLevel), Map.of("IncrementalPCA", new byte[] {1, 2, 3}, "RawActivations", new byte[0]));
    }

    @Test
    void anEntryReadBackEqualsTheOneCommitted() {
        assertFalse(Journal.exists(dir));
        assertEquals(Optional.empty(), Journal.read(dir));
        JournalEntry e = entry(0);
        Journal.commit(dir, e);
        JournalEntry back = Journal.read(dir).orElseThrow();
        assertEquals(e, back);
        assertEquals(List.of("z_first", "a_second"), List.copyOf(back.artifacts().getFirst().metadata().keySet()));
        assertEquals(Float.floatToRawIntBits(Float.NaN),
                Float.floatToRawIntBits(((ArtifactTensor.F32) back.artifacts().getFirst().tensor("components")).data()[0]));
    }

    @Test
    void aCommitReplacesThePreviousEntryAndLeavesNoTemporaryFile() throws Exception {
        Journal.commit(dir, entry(0));
        Journal.commit(dir, entry(1));
        assertEquals(1, Journal.read(dir).orElseThrow().completedLayer());
        try (var files = Files.list(dir)) {
            assertEquals(List.of(Journal.FILE_NAME), files.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void aTornJournalIsRefusedNamingTheFileAndTheRemedy() throws Exception {
        Journal.commit(dir, entry(0));
        Path file = dir.resolve(Journal.FILE_NAME);
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 9));
        RunDirectoryException e = assertThrows(RunDirectoryException.class, () -> Journal.read(dir));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("damaged")
                && e.getMessage().contains("--overwrite"), e.getMessage());
    }

    @Test
    void aFlippedBitIsCaughtByTheChecksum() throws Exception {
        Journal.commit(dir, entry(0));
        Path file = dir.resolve(Journal.FILE_NAME);
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 1;
        Files.write(file, bytes);
        RunDirectoryException e = assertThrows(RunDirectoryException.class, () -> Journal.read(dir));
        assertTrue(e.getMessage().contains("checksum mismatch"), e.getMessage());
    }

    @Test
    void identitiesNameEachDifferingEntry() {
        RunIdentity journal = new RunIdentity(Map.of("device", "cpu", "final norm", "true"));
        RunIdentity now = new RunIdentity(Map.of("device", "cpu", "final norm", "false", "callback 2", "X"));
        assertEquals(List.of("final norm: the journal has \"true\", this run has \"false\"",
                "callback 2: the journal has nothing, this run has \"X\""), now.differencesFrom(journal));
        assertEquals(List.of(), journal.differencesFrom(journal));
    }
}
