package org.fpwap.forward;

import java.util.Arrays;

/**
 * Which experts a mixture-of-experts layer's router chose for every token of a microbatch, and with which weights:
 * the {@code topK} expert ids per token in descending order of router probability, and the weights the layer
 * multiplies their outputs by (after the family's renormalisation and scaling). Host arrays, valid after the
 * microbatch; pad positions hold the routing of their (meaningless) pad activations.
 */
public final class ExpertRouting {

    private final int samples;
    private final int width;
    private final int topK;
    private final int[] experts;
    private final float[] weights;

    /**
     * @param experts {@code [samples, width, topK]} row-major
     * @param weights {@code [samples, width, topK]} row-major
     */
    public ExpertRouting(int samples, int width, int topK, int[] experts, float[] weights) {
        long n = (long) samples * width * topK;
        if (experts.length != n || weights.length != n) {
            throw new IllegalArgumentException("routing of " + samples + " x " + width + " tokens, top " + topK
                    + " needs " + n + " entries, got " + experts.length + " ids and " + weights.length + " weights");
        }
        this.samples = samples;
        this.width = width;
        this.topK = topK;
        this.experts = experts.clone();
        this.weights = weights.clone();
    }

    /** Rows B. */
    public int samples() {
        return samples;
    }

    /** Padded positions T. */
    public int width() {
        return width;
    }

    /** Experts chosen per token. */
    public int topK() {
        return topK;
    }

    /** The {@code j}-th chosen expert (0 = highest router probability) of row {@code b}, position {@code t}. */
    public int expert(int b, int t, int j) {
        return experts[index(b, t, j)];
    }

    /** The weight the layer gives the {@code j}-th chosen expert of row {@code b}, position {@code t}. */
    public float weight(int b, int t, int j) {
        return weights[index(b, t, j)];
    }

    /** The chosen experts of row {@code b}, position {@code t}. */
    public int[] experts(int b, int t) {
        int from = index(b, t, 0);
        return Arrays.copyOfRange(experts, from, from + topK);
    }

    /** The weights of row {@code b}, position {@code t}'s chosen experts. */
    public float[] weights(int b, int t) {
        int from = index(b, t, 0);
        return Arrays.copyOfRange(weights, from, from + topK);
    }

    private int index(int b, int t, int j) {
        if (b < 0 || b >= samples || t < 0 || t >= width || j < 0 || j >= topK) {
            throw new IndexOutOfBoundsException("routing index (" + b + ", " + t + ", " + j + ") outside " + samples + " x "
                    + width + " x " + topK);
        }
        return (b * width + t) * topK + j;
    }
}
