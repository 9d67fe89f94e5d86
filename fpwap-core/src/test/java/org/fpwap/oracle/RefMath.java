package org.fpwap.oracle;

import java.util.Arrays;

/**
 * Textbook FP64 building blocks for the independent references, written from the Hugging Face modeling
 * files' definitions, one token (row) at a time. Nothing here is shared with the project's main code.
 */
public final class RefMath {

    private RefMath() {}

    /** {@code y = W x (+ b)} for a torch Linear weight {@code W[out, in]} given as a flat row-major array. */
    public static double[] linear(float[] weight, int outDim, int inDim, double[] x, float[] bias) {
        if (x.length != inDim) {
            throw new IllegalArgumentException("input width " + x.length + " vs weight in-dim " + inDim);
        }
        double[] y = new double[outDim];
        for (int o = 0; o < outDim; o++) {
            double s = bias == null ? 0 : bias[o];
            int base = o * inDim;
            for (int i = 0; i < inDim; i++) {
                s += weight[base + i] * x[i];
            }
            y[o] = s;
        }
        return y;
    }

    /** {@code linear} for a {@link SafetensorsF32.Tensor} weight {@code [out, in]} and optional bias. */
    static double[] linear(SafetensorsF32.Tensor weight, double[] x, SafetensorsF32.Tensor bias) {
        return linear(weight.data(), weight.dim(0), weight.dim(1), x, bias == null ? null : bias.data());
    }

    /** RMSNorm {@code x / sqrt(mean(x²) + eps) * w'} with {@code w' = 1 + w} when {@code onePlus} (Gemma), else {@code w}. */
    public static double[] rmsNorm(double[] x, float[] weight, double eps, boolean onePlus) {
        double ss = 0;
        for (double v : x) {
            ss += v * v;
        }
        double inv = 1.0 / Math.sqrt(ss / x.length + eps);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] * inv * (onePlus ? 1.0 + weight[i] : weight[i]);
        }
        return y;
    }

    /** RMSNorm applied to each {@code width}-wide slice of {@code x} (per-head q/k norms). */
    public static double[] rmsNormEach(double[] x, int width, float[] weight, double eps, boolean onePlus) {
        double[] y = new double[x.length];
        for (int off = 0; off < x.length; off += width) {
            double[] part = rmsNorm(Arrays.copyOfRange(x, off, off + width), weight, eps, onePlus);
            System.arraycopy(part, 0, y, off, width);
        }
        return y;
    }

    /** {@code inv_freq_i = 1 / theta^(2i/dim)} for {@code i < dim/2}. */
    public static double[] inverseFrequencies(double theta, int dim) {
        double[] inv = new double[dim / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = 1.0 / Math.pow(theta, (2.0 * i) / dim);
        }
        return inv;
    }

    /**
     * HF rotate_half RoPE applied in place to each of {@code heads} heads of width {@code headDim} in {@code v},
     * rotating the first {@code 2 · invFreq.length} features of each head (the rest pass through), with cos/sin
     * multiplied by {@code attentionFactor}.
     */
    public static void rope(double[] v, int heads, int headDim, int pos, double[] invFreq, double attentionFactor) {
        int half = invFreq.length;
        for (int h = 0; h < heads; h++) {
            int o = h * headDim;
            for (int i = 0; i < half; i++) {
                double ang = pos * invFreq[i];
                double c = Math.cos(ang) * attentionFactor;
                double s = Math.sin(ang) * attentionFactor;
                double a = v[o + i];
                double b = v[o + i + half];
                v[o + i] = a * c - b * s;
                v[o + i + half] = b * c + a * s;
            }
        }
    }

    /**
     * Causal attention with grouped KV heads over one sequence: query {@code i} sees keys {@code j <= i} with
     * {@code i - j < window}; scores {@code q·k · scale}, optionally soft-capped ({@code cap · tanh(s / cap)}),
     * softmax, weighted sum of values. Query/key head width {@code dk}, value head width {@code dv}.
     */
    public static double[][] attention(double[][] q, double[][] k, double[][] v, int heads, int kvHeads, int dk, int dv,
            double scale, int window, double softcap) {
        int t = q.length;
        int group = heads / kvHeads;
        double[][] out = new double[t][heads * dv];
        for (int i = 0; i < t; i++) {
            int first = window == Integer.MAX_VALUE ? 0 : Math.max(0, i - window + 1);
            for (int h = 0; h < heads; h++) {
                int kvh = h / group;
                double[] s = new double[i + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = first; j <= i; j++) {
                    double dot = 0;
                    for (int d = 0; d < dk; d++) {
                        dot += q[i][h * dk + d] * k[j][kvh * dk + d];
                    }
                    double score = dot * scale;
                    if (softcap > 0) {
                        score = softcap * Math.tanh(score / softcap);
                    }
                    s[j] = score;
                    max = Math.max(max, score);
                }
                double sum = 0;
                for (int j = first; j <= i; j++) {
                    s[j] = Math.exp(s[j] - max);
                    sum += s[j];
                }
                for (int j = first; j <= i; j++) {
                    double p = s[j] / sum;
                    for (int d = 0; d < dv; d++) {
                        out[i][h * dv + d] += p * v[j][kvh * dv + d];
                    }
                }
            }
        }
        return out;
    }

    /** The activations by their HF names. */
    public static double activation(String name, double x) {
        return switch (name) {
            case "silu", "swish" -> x / (1.0 + Math.exp(-x));
            case "gelu_pytorch_tanh", "gelu_new", "gelu_fast" ->
                0.5 * x * (1.0 + Math.tanh(Math.sqrt(2.0 / Math.PI) * (x + 0.044715 * x * x * x)));
            case "gelu" -> 0.5 * x * (1.0 + ReferenceForward.erf(x / Math.sqrt(2.0)));
            default -> throw new UnsupportedOperationException("activation " + name);
        };
    }

    /** Element-wise {@code a + b}. */
    public static double[] add(double[] a, double[] b) {
        double[] y = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            y[i] = a[i] + b[i];
        }
        return y;
    }

    /** A deep copy. */
    public static double[][] copy(double[][] x) {
        double[][] c = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            c[i] = x[i].clone();
        }
        return c;
    }
}
