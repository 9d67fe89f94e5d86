package org.fpwap.model;

import static java.util.Objects.requireNonNull;

/**
 * Rotary position embedding parameters (rotate_half convention, as HF Llama).
 *
 * @param theta the base ({@code rope_theta})
 * @param rotaryDim how many leading dimensions of each head rotate (fewer than head_dim under partial rotary)
 * @param scaling the frequency scaling
 */
public record RopeSpec(double theta, int rotaryDim, RopeScaling scaling) {
    public RopeSpec {
        requireNonNull(scaling, "scaling is null");
        if (rotaryDim <= 0 || rotaryDim % 2 != 0) {
            throw new IllegalArgumentException("rotary dimension must be positive and even, got " + rotaryDim);
        }
        if (scaling instanceof RopeScaling.LongRope l && l.shortFactor().size() != rotaryDim / 2) {
            throw new IllegalArgumentException("longrope factors must have one entry per rotated pair (" + rotaryDim / 2
                    + "), got " + l.shortFactor().size());
        }
    }

    /**
     * The inverse frequencies for a microbatch whose longest sequence has {@code sequenceLength} positions:
     * the same for every length except under scalings that switch on it (Phi-3's {@code longrope}).
     */
    public double[] inverseFrequencies(int sequenceLength) {
        if (scaling instanceof RopeScaling.LongRope l) {
            double[] inv = unscaled();
            java.util.List<Double> factors = sequenceLength > l.originalMaxPositions() ? l.longFactor() : l.shortFactor();
            for (int i = 0; i < inv.length; i++) {
                inv[i] = inv[i] / factors.get(i);
            }
            return inv;
        }
        return inverseFrequencies();
    }

    /**
     * The factor HF multiplies cos and sin by ({@code attention_scaling}): 1 except under scalings that
     * define one (YaRN, {@code longrope}).
     */
    public double attentionFactor(int sequenceLength) {
        return switch (scaling) {
            case RopeScaling.LongRope l -> l.attentionFactor();
            case RopeScaling.Yarn y -> y.attentionFactor();
            default -> 1.0;
        };
    }

    /**
     * The inverse frequencies {@code 1/theta^(2i/d)} for {@code i < d/2}, after scaling, in double
     * precision (HF computes them in FP32; ours are the exact values that FP32 approximates).
     */
    public double[] inverseFrequencies() {
        double[] inv = unscaled();
        return switch (scaling) {
            case RopeScaling.None n -> inv;
            case RopeScaling.Linear l -> scaleAll(inv, 1.0 / l.factor());
            case RopeScaling.Llama3 l -> llama3(inv, l);
            case RopeScaling.LongRope l -> inverseFrequencies(0);
            case RopeScaling.Yarn y -> yarn(inv, y);
        };
    }

    private double[] unscaled() {
        int half = rotaryDim / 2;
        double[] inv = new double[half];
        for (int i = 0; i < half; i++) {
            inv[i] = 1.0 / Math.pow(theta, (2.0 * i) / rotaryDim);
        }
        return inv;
    }

    private static double[] scaleAll(double[] inv, double by) {
        double[] out = inv.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] *= by;
        }
        return out;
    }

    private static double[] llama3(double[] inv, RopeScaling.Llama3 s) {
        double lowFreqWavelen = s.originalMaxPositions() / s.lowFreqFactor();
        double highFreqWavelen = s.originalMaxPositions() / s.highFreqFactor();
        double[] out = new double[inv.length];
        for (int i = 0; i < inv.length; i++) {
            double wavelen = 2 * Math.PI / inv[i];
            if (wavelen < highFreqWavelen) {
                out[i] = inv[i];
            } else if (wavelen > lowFreqWavelen) {
                out[i] = inv[i] / s.factor();
            } else {
                double smooth = (s.originalMaxPositions() / wavelen - s.lowFreqFactor())
                        / (s.highFreqFactor() - s.lowFreqFactor());
                out[i] = (1 - smooth) * inv[i] / s.factor() + smooth * inv[i];
            }
        }
        return out;
    }

    private double[] yarn(double[] inv, RopeScaling.Yarn y) {
        double low = correctionDim(y.betaFast(), y.originalMaxPositions());
        double high = correctionDim(y.betaSlow(), y.originalMaxPositions());
        if (y.truncate()) {
            low = Math.floor(low);
            high = Math.ceil(high);
        }
        low = Math.max(low, 0);
        high = Math.min(high, rotaryDim - 1);
        if (low == high) {
            high += 0.001; // as HF: avoids a zero-width ramp
        }
        double[] out = new double[inv.length];
        for (int i = 0; i < inv.length; i++) {
            double ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
            double extrapolation = 1 - ramp;
            out[i] = inv[i] / y.factor() * (1 - extrapolation) + inv[i] * extrapolation;
        }
        return out;
    }

    /** The dimension whose wavelength fits {@code rotations} turns into {@code positions} (YaRN's correction). */
    private double correctionDim(double rotations, int positions) {
        return rotaryDim * Math.log(positions / (rotations * 2 * Math.PI)) / (2 * Math.log(theta));
    }
}
