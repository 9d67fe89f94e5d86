package org.fpwap.forward;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.safetensors.Checkpoint;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** An untied {@code lm_head.weight} is present but unused: hidden states equal those of the tied model. */
class TiedEmbeddingsTest {

    @TempDir
    Path tmp;

    @ParameterizedTest
    @EnumSource(value = ModelFamily.class, names = {"LLAMA", "GPT2"})
    void tiedAndUntiedCheckpointsOfOneSeedGiveIdenticalHiddenStates(ModelFamily family) {
        RandomModelConfig.Builder b = RandomModelConfig.builder(family).layers(2).vocab(96).seed(31);
        Path tied = tmp.resolve("tied");
        Path untied = tmp.resolve("untied");
        RandomModelWriter.write(b.tiedEmbeddings(true).build(), tied);
        RandomModelWriter.write(b.tiedEmbeddings(false).build(), untied);
        try (Checkpoint t = Checkpoint.open(tied); Checkpoint u = Checkpoint.open(untied)) {
            assertFalse(t.contains("lm_head.weight"), "tied checkpoint has no lm_head");
            assertTrue(u.contains("lm_head.weight"), "untied checkpoint has lm_head");
        }
        List<int[]> prompts = Comparisons.prompts(96, 15, 9, 21);
        Comparisons.assertBitIdentical(OurForward.run(untied, prompts, PaddingSide.RIGHT, true, Long.MAX_VALUE),
                OurForward.run(tied, prompts, PaddingSide.RIGHT, true, Long.MAX_VALUE), family + " untied vs tied");
    }
}
