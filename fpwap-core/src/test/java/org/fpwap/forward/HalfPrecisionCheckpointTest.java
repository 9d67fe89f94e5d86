package org.fpwap.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.safetensors.Checkpoint;
import org.fpwap.safetensors.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * BF16 and F16 weights are widened to FP32 exactly, so a half-precision checkpoint computes exactly what
 * its FP32 upcast (made here in plain Java, bit by bit) computes; sharding changes nothing either.
 */
class HalfPrecisionCheckpointTest {

    @TempDir
    Path tmp;

    private static RandomModelConfig.Builder model(ModelFamily family) {
        return RandomModelConfig.builder(family).layers(2).vocab(96).seed(21);
    }

    private static List<int[]> prompts() {
        return Comparisons.prompts(96, 4, 19, 6);
    }

    private void assertSameAsUpcast(ModelFamily family, DType dtype) {
        Path half = tmp.resolve(family.modelType() + "-" + dtype);
        RandomModelWriter.write(model(family).dtype(dtype).build(), half);
        Path upcast = CheckpointCopies.rewrite(half, tmp.resolve(family.modelType() + "-" + dtype + "-as-f32"), e -> {
            assertEquals(dtype, e.dtype(), e.name());
            return CheckpointCopies.widenToF32(e);
        });
        Comparisons.assertBitIdentical(OurForward.hiddenStates(half, prompts(), PaddingSide.RIGHT),
                OurForward.hiddenStates(upcast, prompts(), PaddingSide.RIGHT), family + " " + dtype + " vs its F32 upcast");
    }

    @ParameterizedTest
    @EnumSource(ModelFamily.class)
    void aBf16CheckpointComputesBitForBitWhatItsF32UpcastComputes(ModelFamily family) {
        assertSameAsUpcast(family, DType.BF16);
    }

    @ParameterizedTest
    @EnumSource(ModelFamily.class)
    void anF16CheckpointComputesBitForBitWhatItsF32UpcastComputes(ModelFamily family) {
        assertSameAsUpcast(family, DType.F16);
    }

    @Test
    void aShardedBf16CheckpointComputesBitForBitWhatTheSingleFileOneComputes() throws Exception {
        Path single = tmp.resolve("single");
        Path sharded = tmp.resolve("sharded");
        RandomModelWriter.write(model(ModelFamily.LLAMA).dtype(DType.BF16).build(), single);
        RandomModelWriter.write(model(ModelFamily.LLAMA).dtype(DType.BF16).shards(3).build(), sharded);
        assertTrue(Files.exists(sharded.resolve("model.safetensors.index.json")), "sharded write has an index");
        try (Checkpoint c = Checkpoint.open(sharded)) {
            assertEquals(3, c.files().size(), "three shard files");
        }
        for (PaddingSide side : PaddingSide.values()) {
            Comparisons.assertBitIdentical(OurForward.hiddenStates(sharded, prompts(), side),
                    OurForward.hiddenStates(single, prompts(), side), "3 shards vs one file, " + side + " padding");
        }
    }
}
