package org.fpwap.forward;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Mistral's {@code sliding_window} W (HF semantics: query i attends key j iff j ≤ i and i − j < W),
 * checked against the independent FP64 {@link org.fpwap.oracle.ReferenceForward} that implements the
 * window from HF's {@code sliding_window_overlay}.
 */
class SlidingWindowTest {

    private static final double REFERENCE_TOLERANCE = Comparisons.REFERENCE_TOLERANCE;
    private static final int LONG = 20;
    private static final int SHORT = 7;
    private static final int SMALL_WINDOW = 4;

    @TempDir
    Path tmp;

    private static RandomModelConfig.Builder mistral() {
        return RandomModelConfig.builder(ModelFamily.MISTRAL).layers(3).dims(64, 4, 2, 16).intermediate(96).vocab(96).seed(11);
    }

    private Path write(String name, RandomModelConfig config) {
        Path dir = tmp.resolve(name);
        RandomModelWriter.write(config, dir);
        return dir;
    }

    private static List<int[]> prompts() {
        return Comparisons.prompts(96, 5, LONG, SHORT);
    }

    @ParameterizedTest
    @EnumSource(PaddingSide.class)
    void aWindowAtLeastAsLongAsThePromptGivesExactlyFullAttention(PaddingSide side) {
        Path windowed = write("w20", mistral().slidingWindow(LONG).build());
        Path full = write("full", mistral().build());
        Comparisons.assertBitIdentical(OurForward.hiddenStates(windowed, prompts(), side),
                OurForward.hiddenStates(full, prompts(), side), "window " + LONG + " vs sliding_window null");
    }

    @Test
    void aWindowAtLeastAsLongAsThePromptMatchesTheReference() {
        Path windowed = write("w20", mistral().slidingWindow(LONG).build());
        double max = Comparisons.assertMatchesReference(windowed, prompts(),
                OurForward.hiddenStates(windowed, prompts(), PaddingSide.RIGHT), REFERENCE_TOLERANCE, "window " + LONG);
        System.out.println("sliding window " + LONG + " vs reference: max rel err " + max);
    }

    @Test
    void aWindowShorterThanThePromptChangesEveryPositionFromTheWindowOn() {
        Path windowed = write("w4", mistral().slidingWindow(SMALL_WINDOW).build());
        Path full = write("full", mistral().build());
        float[][][] w = OurForward.hiddenStates(windowed, prompts(), PaddingSide.RIGHT)[0];
        float[][][] f = OurForward.hiddenStates(full, prompts(), PaddingSide.RIGHT)[0];
        double minDiff = Double.MAX_VALUE;
        for (int layer = 1; layer < w.length; layer++) {
            for (int t = 0; t < LONG; t++) {
                double diff = Comparisons.relativeError(w[layer][t], f[layer][t]);
                if (t < SMALL_WINDOW) {
                    assertTrue(diff <= 1e-6, "hidden_states[" + layer + "] position " + t
                            + " sees the same keys with or without the window, yet differs by " + diff);
                } else {
                    minDiff = Math.min(minDiff, diff);
                    assertTrue(diff > 1e-3, "hidden_states[" + layer + "] position " + t + " (window " + SMALL_WINDOW
                            + ") differs from full attention by only " + diff);
                }
            }
        }
        System.out.println("sliding window " + SMALL_WINDOW + " vs full attention: min rel diff at t>=W " + minDiff);
    }

    @ParameterizedTest
    @EnumSource(PaddingSide.class)
    void aWindowShorterThanThePromptMatchesTheWindowedReferenceAtEveryLayerWhenBatched(PaddingSide side) {
        Path windowed = write("w4", mistral().slidingWindow(SMALL_WINDOW).build());
        double max = Comparisons.assertMatchesReference(windowed, prompts(), OurForward.hiddenStates(windowed, prompts(), side),
                REFERENCE_TOLERANCE, "window " + SMALL_WINDOW + " " + side);
        System.out.println("sliding window " + SMALL_WINDOW + " " + side + " vs reference: max rel err " + max);
    }
}
