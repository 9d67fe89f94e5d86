package org.fpwap.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.fpwap.oracle.ReferenceForward;

/** Test helpers: prompts, error measures and assertions over {@code [sample][layer][T][H]} hidden states. */
final class Comparisons {

    private Comparisons() {}

    /**
     * Bound on the relative Frobenius error of our FP32 forward against the FP64 {@link ReferenceForward}
     * in the family tests of this package. Set from the measured error scale (largest seen: 5.0e-7, in
     * SlidingWindowTest; 3.2–4.5e-7 elsewhere), so that small semantic errors fail by a wide margin
     * ({@code FamilyTestHeadroomTest}).
     */
    static final double REFERENCE_TOLERANCE = 2e-6;

    /** Seeded random prompts of the given lengths, ids in {@code [0, vocab)}. */
    static List<int[]> prompts(int vocab, long seed, int... lengths) {
        Random random = new Random(seed);
        List<int[]> out = new ArrayList<>();
        for (int len : lengths) {
            int[] p = new int[len];
            for (int i = 0; i < len; i++) {
                p[i] = random.nextInt(vocab);
            }
            out.add(p);
        }
        return out;
    }

    /** Relative Frobenius error {@code ‖a − e‖ / ‖e‖} of FP32 states against FP64 ones. */
    static double relativeError(float[][] actual, double[][] expected) {
        double num = 0;
        double den = 0;
        for (int t = 0; t < expected.length; t++) {
            for (int h = 0; h < expected[t].length; h++) {
                double d = actual[t][h] - expected[t][h];
                num += d * d;
                den += expected[t][h] * expected[t][h];
            }
        }
        return Math.sqrt(num / den);
    }

    /** Relative Frobenius difference of one token's row. */
    static double relativeError(float[] actual, float[] expected) {
        double num = 0;
        double den = 0;
        for (int h = 0; h < expected.length; h++) {
            double d = (double) actual[h] - expected[h];
            num += d * d;
            den += (double) expected[h] * expected[h];
        }
        return Math.sqrt(num / den);
    }

    /**
     * Asserts every sample's every hidden state is within {@code tolerance} relative Frobenius error of
     * the FP64 reference run on that sample alone; returns the largest error seen.
     */
    static double assertMatchesReference(Path dir, List<int[]> prompts, float[][][][] ours, double tolerance, String what) {
        ReferenceForward ref;
        try {
            ref = ReferenceForward.load(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        double max = 0;
        for (int s = 0; s < prompts.size(); s++) {
            double[][][] expected = ref.hiddenStates(prompts.get(s));
            assertEquals(expected.length, ours[s].length, what + ": layer count");
            for (int layer = 0; layer < expected.length; layer++) {
                double err = relativeError(ours[s][layer], expected[layer]);
                max = Math.max(max, err);
                assertTrue(err <= tolerance, what + " sample " + s + " (" + prompts.get(s).length + " tokens) hidden_states["
                        + layer + "]: relative error " + err + " > " + tolerance);
            }
        }
        return max;
    }

    /** Asserts two runs agree sample by sample, layer by layer, within {@code tolerance}; returns the largest error. */
    static double assertClose(float[][][][] actual, float[][][][] expected, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what + ": sample count");
        double max = 0;
        for (int s = 0; s < expected.length; s++) {
            max = Math.max(max, assertSampleClose(actual[s], expected[s], tolerance, what + " sample " + s));
        }
        return max;
    }

    /** As {@link #assertClose} for one sample's {@code [layer][T][H]} states. */
    static double assertSampleClose(float[][][] actual, float[][][] expected, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what + ": layer count");
        double max = 0;
        for (int layer = 0; layer < expected.length; layer++) {
            assertEquals(expected[layer].length, actual[layer].length, what + " hidden_states[" + layer + "]: token count");
            double num = 0;
            double den = 0;
            for (int t = 0; t < expected[layer].length; t++) {
                for (int h = 0; h < expected[layer][t].length; h++) {
                    double d = (double) actual[layer][t][h] - expected[layer][t][h];
                    num += d * d;
                    den += (double) expected[layer][t][h] * expected[layer][t][h];
                }
            }
            double err = Math.sqrt(num / den);
            max = Math.max(max, err);
            assertTrue(err <= tolerance, what + " hidden_states[" + layer + "]: relative difference " + err + " > " + tolerance);
        }
        return max;
    }

    /** Asserts the raw FP32 bits of two runs are identical everywhere, naming the first difference. */
    static void assertBitIdentical(float[][][][] actual, float[][][][] expected, String what) {
        assertEquals(expected.length, actual.length, what + ": sample count");
        for (int s = 0; s < expected.length; s++) {
            assertEquals(expected[s].length, actual[s].length, what + ": layer count");
            for (int l = 0; l < expected[s].length; l++) {
                assertEquals(expected[s][l].length, actual[s][l].length, what + ": token count");
                for (int t = 0; t < expected[s][l].length; t++) {
                    for (int h = 0; h < expected[s][l][t].length; h++) {
                        int e = Float.floatToRawIntBits(expected[s][l][t][h]);
                        int a = Float.floatToRawIntBits(actual[s][l][t][h]);
                        if (e != a) {
                            fail(what + ": sample " + s + " hidden_states[" + l + "] token " + t + " dim " + h + ": "
                                    + actual[s][l][t][h] + " vs " + expected[s][l][t][h]);
                        }
                    }
                }
            }
        }
    }
}
