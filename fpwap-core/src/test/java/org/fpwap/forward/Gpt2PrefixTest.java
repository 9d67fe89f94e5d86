package org.fpwap.forward;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.safetensors.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GPT-2 checkpoints name their tensors with or without a {@code transformer.} prefix (HF
 * {@code GPT2LMHeadModel} vs {@code GPT2Model} saves); both must load and compute the same thing.
 */
class Gpt2PrefixTest {

    private static final String PREFIX = "transformer.";

    @TempDir
    Path tmp;

    private static RandomModelConfig.Builder gpt2() {
        return RandomModelConfig.builder(ModelFamily.GPT2).layers(2).dims(64, 4, 4, 16).intermediate(256).vocab(96).seed(5);
    }

    private static List<int[]> prompts() {
        return Comparisons.prompts(96, 2, 17, 5);
    }

    @Test
    void theSameWeightsUnderPrefixedNamesGiveBitIdenticalHiddenStates() {
        Path bare = tmp.resolve("bare");
        RandomModelWriter.write(gpt2().gpt2Prefix(false).build(), bare);
        // RandomModelWriter seeds each tensor by its name, so the prefixed copy is made by renaming.
        Path prefixed = CheckpointCopies.rewrite(bare, tmp.resolve("prefixed"),
                e -> new CheckpointCopies.Entry(PREFIX + e.name(), e.dtype(), e.shape(), e.data()));
        try (Checkpoint c = Checkpoint.open(prefixed)) {
            assertTrue(c.contains("transformer.wte.weight") && !c.contains("wte.weight"), "the copy is prefixed");
        }
        for (PaddingSide side : PaddingSide.values()) {
            Comparisons.assertBitIdentical(OurForward.hiddenStates(prefixed, prompts(), side),
                    OurForward.hiddenStates(bare, prompts(), side), "prefixed vs bare names, " + side + " padding");
        }
    }

    @Test
    void aPrefixedCheckpointMatchesTheReference() {
        Path dir = tmp.resolve("prefixed");
        RandomModelWriter.write(gpt2().gpt2Prefix(true).build(), dir);
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertTrue(c.contains("transformer.h.1.attn.c_attn.weight"), "written with the prefix");
        }
        double max = Comparisons.assertMatchesReference(dir, prompts(), OurForward.hiddenStates(dir, prompts(), PaddingSide.LEFT),
                Comparisons.REFERENCE_TOLERANCE, "gpt2 with transformer. prefix");
        System.out.println("gpt2 prefixed vs reference: max rel err " + max);
    }

    @Test
    void anUnprefixedCheckpointMatchesTheReference() {
        Path dir = tmp.resolve("bare");
        RandomModelWriter.write(gpt2().gpt2Prefix(false).build(), dir);
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertFalse(c.contains("transformer.wte.weight"), "written without the prefix");
        }
        double max = Comparisons.assertMatchesReference(dir, prompts(), OurForward.hiddenStates(dir, prompts(), PaddingSide.LEFT),
                Comparisons.REFERENCE_TOLERANCE, "gpt2 without prefix");
        System.out.println("gpt2 bare vs reference: max rel err " + max);
    }
}
