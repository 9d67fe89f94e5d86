package org.fpwap.forward;

import java.nio.file.Path;
import java.util.List;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * An explicit {@code head_dim} that is not {@code hidden_size / num_attention_heads} (Gemma, Mistral-Nemo
 * style) sets the q/k/v widths, the rotary width and the 1/√d attention scale; checked against the FP64
 * reference.
 */
class HeadDimTest {

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0} head_dim {1}")
    @CsvSource({"LLAMA, 32", "LLAMA, 8", "MISTRAL, 32", "QWEN2, 8", "GEMMA, 32"})
    void aHeadDimOtherThanHiddenOverHeadsMatchesTheReference(ModelFamily family, int headDim) {
        Path dir = tmp.resolve(family.modelType() + headDim);
        RandomModelWriter.write(RandomModelConfig.builder(family).layers(2).dims(64, 4, 2, headDim).intermediate(96).vocab(96)
                .seed(23).build(), dir);
        List<int[]> prompts = Comparisons.prompts(96, 6, 15, 4);
        double max = Comparisons.assertMatchesReference(dir, prompts, OurForward.hiddenStates(dir, prompts, PaddingSide.LEFT),
                Comparisons.REFERENCE_TOLERANCE, family + " head_dim " + headDim);
        System.out.println(family + " head_dim " + headDim + " vs reference: max rel err " + max);
    }
}
