package org.fpwap.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fingerprint separates checkpoints that names and sizes cannot, and is stable for identical bytes. */
class ModelFingerprintTest {

    @TempDir
    Path tmp;

    @Test
    void twoCheckpointsOfOneArchitectureWithDifferentWeightsDiffer() throws Exception {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).seed(1).build(), a);
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).seed(2).build(), b);
        assertEquals(Files.readString(a.resolve("config.json")), Files.readString(b.resolve("config.json")));
        assertEquals(Files.size(a.resolve("model.safetensors")), Files.size(b.resolve("model.safetensors")));
        assertNotEquals(ModelFingerprint.of(a), ModelFingerprint.of(b));
    }

    @Test
    void identicalBytesGiveTheSameFingerprint() {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.QWEN3).seed(5).build(), a);
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.QWEN3).seed(5).build(), b);
        assertEquals(ModelFingerprint.of(a), ModelFingerprint.of(b));
    }
}
