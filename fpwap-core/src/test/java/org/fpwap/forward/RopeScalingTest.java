package org.fpwap.forward;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rope_scaling} of types {@code linear} and {@code llama3}: our forward matches the FP64
 * {@link org.fpwap.oracle.ReferenceForward}, which computes the scaled frequencies from HF's formulas
 * on its own.
 */
class RopeScalingTest {

    private static final double TOLERANCE = Comparisons.REFERENCE_TOLERANCE;
    private static final double THETA = 10000.0; // what RandomModelWriter writes as rope_theta
    private static final int HEAD_DIM = 16;
    private static final double FACTOR = 8;
    private static final double LOW = 1;
    private static final double HIGH = 4;
    private static final int ORIGINAL_MAX = 64;
    private static final String LLAMA3 = "{\"rope_type\": \"llama3\", \"factor\": " + FACTOR + ", \"low_freq_factor\": " + LOW
            + ", \"high_freq_factor\": " + HIGH + ", \"original_max_position_embeddings\": " + ORIGINAL_MAX + "}";
    private static final String LINEAR = "{\"type\": \"linear\", \"factor\": 4.0}";

    @TempDir
    Path tmp;

    private Path llama(String name, String scaling) {
        RandomModelConfig.Builder b = RandomModelConfig.builder(ModelFamily.LLAMA).layers(2).dims(64, 4, 2, HEAD_DIM)
                .intermediate(96).vocab(96).seed(3);
        if (scaling != null) {
            b.ropeScaling(scaling);
        }
        Path dir = tmp.resolve(name);
        RandomModelWriter.write(b.build(), dir);
        return dir;
    }

    private static List<int[]> prompts() {
        return Comparisons.prompts(96, 9, 40, 13);
    }

    @Test
    void theChosenLlama3ParametersExerciseAllThreeFrequencyRegimes() {
        int kept = 0;
        int divided = 0;
        int blended = 0;
        for (int i = 0; i < HEAD_DIM / 2; i++) {
            double wavelen = 2 * Math.PI * Math.pow(THETA, 2.0 * i / HEAD_DIM);
            if (wavelen < ORIGINAL_MAX / HIGH) {
                kept++;
            } else if (wavelen > ORIGINAL_MAX / LOW) {
                divided++;
            } else {
                blended++;
            }
        }
        assertTrue(kept > 0 && divided > 0 && blended > 0,
                "kept " + kept + ", divided " + divided + ", blended " + blended + ": every regime must occur");
    }

    @Test
    void llama3ScalingMatchesTheReference() {
        Path dir = llama("llama3", LLAMA3);
        double max = Comparisons.assertMatchesReference(dir, prompts(), OurForward.hiddenStates(dir, prompts(), PaddingSide.LEFT),
                TOLERANCE, "llama3 rope_scaling");
        System.out.println("llama3 rope_scaling vs reference: max rel err " + max);
    }

    @Test
    void linearScalingMatchesTheReference() {
        Path dir = llama("linear", LINEAR);
        double max = Comparisons.assertMatchesReference(dir, prompts(), OurForward.hiddenStates(dir, prompts(), PaddingSide.RIGHT),
                TOLERANCE, "linear rope_scaling");
        System.out.println("linear rope_scaling vs reference: max rel err " + max);
    }

    @Test
    void eachScalingChangesTheActivationsSoTheComparisonsAboveCanFail() {
        float[][][] none = OurForward.hiddenStates(llama("none", null), prompts(), PaddingSide.RIGHT)[0];
        for (String scaling : List.of(LLAMA3, LINEAR)) {
            float[][][] scaled = OurForward.hiddenStates(llama("s" + scaling.hashCode(), scaling), prompts(), PaddingSide.RIGHT)[0];
            int last = scaled.length - 1;
            double diff = Comparisons.relativeError(scaled[last][39], none[last][39]);
            assertTrue(diff > 1e-3, scaling + " changed the last token's final state by only " + diff);
        }
    }
}
