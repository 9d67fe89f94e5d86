package org.fpwap.forward;

import java.nio.file.Path;
import java.util.Map;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gemma 2 against Jlama 0.8.4's {@code Gemma2Model}, a second independent oracle beside the FP64 reference, within
 * its limits (FACTS.md): it ignores {@code query_pre_attn_scalar} (so it equals head_dim here), has no sliding window
 * (so the window, 64, is at least every prompt's length), rounds √H to BF16 (H = 64, √H = 8 exactly) and needs
 * widths that are multiples of 16. Sandwich norms, (1+w) RMSNorm, tanh-GELU and the attention-logit soft-cap
 * (2.0, small enough to matter) are all compared; every layer, prompts of 1–40 tokens batched, both padding sides.
 */
class GemmaJlamaAgreementTest {

    @TempDir
    Path tmp;

    @Test
    void everyLayerOfGemma2MatchesJlamaForPromptsOfDifferentLengthsBatchedTogether() {
        Path generated = tmp.resolve("gemma2-generated");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.GEMMA2).layers(3).dims(64, 4, 2, 16).intermediate(128)
                .vocab(96).maxPositions(128).seed(7).build(), generated);
        Path dir = ConfigVariants.withConfig(generated, tmp.resolve("gemma2"), Map.of(
                "query_pre_attn_scalar", "16", "sliding_window", "64", "attn_logit_softcapping", "2.0"));
        JlamaAgreementTest.assertAgreesWithJlama(dir, Comparisons.prompts(96, 1234, 1, 5, 17, 40), "gemma2",
                JlamaAgreementTest.TOLERANCE);
    }
}
