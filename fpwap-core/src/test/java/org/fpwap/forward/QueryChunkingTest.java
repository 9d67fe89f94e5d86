package org.fpwap.forward;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Attention computed in query chunks (forced by a tiny score budget) equals attention computed at
 * once, with grouped-query heads and a sliding window shorter than the prompt.
 */
class QueryChunkingTest {

    private static final double TOLERANCE = 1e-6;
    private static final long TINY_BUDGET_BYTES = 1024;
    private static final int HEADS = 4;

    @TempDir
    Path tmp;

    @ParameterizedTest
    @EnumSource(PaddingSide.class)
    void attentionInManySmallQueryChunksEqualsAttentionAtOnceWithGqaAndASlidingWindow(PaddingSide side) {
        Path dir = tmp.resolve("mistral");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.MISTRAL).layers(2).dims(64, HEADS, 1, 16).intermediate(96)
                .vocab(96).slidingWindow(5).seed(17).build(), dir);
        List<int[]> prompts = Comparisons.prompts(96, 14, 30, 11);
        long fullScoreBytes = (long) prompts.size() * HEADS * 30 * 30 * Float.BYTES;
        assertTrue(fullScoreBytes > 20 * TINY_BUDGET_BYTES, "the budget must force many chunks");
        float[][][][] chunked = OurForward.run(dir, prompts, side, true, TINY_BUDGET_BYTES);
        float[][][][] whole = OurForward.run(dir, prompts, side, true, Long.MAX_VALUE);
        double max = Comparisons.assertClose(chunked, whole, TOLERANCE, "chunked vs whole attention, " + side + " padding");
        System.out.println("query chunking " + side + ": max rel diff " + max);
    }
}
