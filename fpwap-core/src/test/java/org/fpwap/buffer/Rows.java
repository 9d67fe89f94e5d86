package org.fpwap.buffer;

import org.fpwap.forward.PaddingSide;

/**
 * Closed-form test data: the value of element {@code h} of token {@code t} of a sample, computed
 * from the sample id alone, so expectations never come from the buffer itself.
 */
final class Rows {
    private Rows() {}

    /** A value with varied bits in every position (sign, exponent, mantissa). */
    static float value(long sampleId, int token, int h) {
        return (float) (StrictMath.sin(sampleId * 7.13 + token * 0.377 + h * 0.0131) * (1 + sampleId % 5) * 3.7);
    }

    /** One sample's rows {@code [length, hidden]}. */
    static float[] sample(long sampleId, int length, int hidden) {
        float[] rows = new float[length * hidden];
        for (int t = 0; t < length; t++) {
            for (int h = 0; h < hidden; h++) {
                rows[t * hidden + h] = value(sampleId, t, h);
            }
        }
        return rows;
    }

    /** Where sample {@code b}'s first real token sits in its padded row. */
    static int offset(PaddingSide side, int width, int length) {
        return side == PaddingSide.LEFT ? width - length : 0;
    }
}
