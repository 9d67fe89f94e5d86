package org.fpwap.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * {@link RopeSpec#inverseFrequencies()} against values worked out by hand for a 6-dimensional rotary
 * head with {@code theta = 1000}: unscaled {@code 1/1000^(2i/6)} = 1, 0.1, 0.01.
 */
class RopeSpecTest {

    private static final double EPS = 1e-15;

    private static void assertFrequencies(double[] expected, double[] actual) {
        assertEquals(expected.length, actual.length, "one frequency per rotated pair");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], EPS * expected[i], "inv_freq[" + i + "]");
        }
    }

    @Test
    void unscaledFrequenciesAreInversePowersOfTheta() {
        assertFrequencies(new double[] {1, 0.1, 0.01}, new RopeSpec(1000, 6, new RopeScaling.None()).inverseFrequencies());
    }

    @Test
    void linearScalingDividesEveryFrequencyByTheFactor() {
        assertFrequencies(new double[] {0.25, 0.025, 0.0025},
                new RopeSpec(1000, 6, new RopeScaling.Linear(4)).inverseFrequencies());
    }

    @Test
    void llama3ScalingKeepsHighFrequenciesDividesLowOnesAndBlendsBetween() {
        // original 100, low 1, high 4: wavelengths below 100/4 = 25 kept, above 100/1 = 100 divided by 8.
        // Wavelengths 2π/inv: 6.28 (kept), 62.8 (blended), 628 (divided).
        // Blend for inv = 0.1: smooth = (100 / (2π/0.1) − 1) / (4 − 1) = (5/π − 1) / 3.
        double smooth = (5 / Math.PI - 1) / 3;
        double blended = (1 - smooth) * 0.1 / 8 + smooth * 0.1;
        assertFrequencies(new double[] {1, blended, 0.01 / 8},
                new RopeSpec(1000, 6, new RopeScaling.Llama3(8, 1, 4, 100)).inverseFrequencies());
    }
}
