package org.fpwap.forward;

import java.nio.file.Path;
import java.util.List;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Padding never leaks: a sample's hidden states do not depend on what it is batched with or on which
 * side the pads go. The tolerance (1e-6 relative) only allows for GEMM blocking that changes with the
 * padded width; a leak through the mask or the positions would be orders of magnitude larger.
 */
class PaddingIsolationTest {

    private static final double TOLERANCE = 1e-6;

    @TempDir
    Path tmp;

    private Path model(ModelFamily family) {
        Path dir = tmp.resolve(family.modelType());
        RandomModelWriter.write(RandomModelConfig.builder(family).layers(2).vocab(96).seed(8).build(), dir);
        return dir;
    }

    @ParameterizedTest
    @EnumSource(ModelFamily.class)
    void aShortSampleBatchedNextToAMuchLongerOneGetsTheSameStatesAsAlone(ModelFamily family) {
        Path dir = model(family);
        List<int[]> both = Comparisons.prompts(96, 12, 7, 60);
        int[] shortPrompt = both.get(0);
        double max = 0;
        for (PaddingSide side : PaddingSide.values()) {
            float[][][] alone = OurForward.hiddenStates(dir, List.of(shortPrompt), side)[0];
            float[][][] batched = OurForward.hiddenStates(dir, both, side)[0];
            max = Math.max(max, Comparisons.assertSampleClose(batched, alone, TOLERANCE,
                    family + " 7-token sample padded to 60 (" + side + ") vs alone"));
        }
        System.out.println(family + " batched vs alone: max rel diff " + max);
    }

    @ParameterizedTest
    @EnumSource(ModelFamily.class)
    void leftAndRightPaddingGiveTheSameStates(ModelFamily family) {
        Path dir = model(family);
        List<int[]> prompts = Comparisons.prompts(96, 13, 3, 17, 40);
        double max = Comparisons.assertClose(OurForward.hiddenStates(dir, prompts, PaddingSide.LEFT),
                OurForward.hiddenStates(dir, prompts, PaddingSide.RIGHT), TOLERANCE, family + " left vs right padding");
        System.out.println(family + " left vs right: max rel diff " + max);
    }
}
