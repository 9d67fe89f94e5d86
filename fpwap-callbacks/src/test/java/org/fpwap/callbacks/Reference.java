package org.fpwap.callbacks;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.Sample;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.result.ActivationTable;

/** Independent FP64 references (two-pass covariance, cyclic Jacobi eigensolver) and small fixtures for the tests. */
final class Reference {

    private Reference() {}

    /** A 3-layer random Llama (H = 64) in {@code dir}. */
    static Path model(Path dir) {
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(3).build(), dir);
        return dir;
    }

    /** {@code n} samples of 1..maxLength random tokens (vocab 128); label {@code labels[i % labels.length]}, null = none. */
    static Dataset dataset(int n, int maxLength, long seed, Long... labels) {
        Random random = new Random(seed);
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] tokens = random.ints(1 + random.nextInt(maxLength), 0, 128).toArray();
            Long label = labels.length == 0 ? null : labels[i % labels.length];
            samples.add(new Sample(i, tokens, label == null ? OptionalLong.empty() : OptionalLong.of(label)));
        }
        return Dataset.of(samples);
    }

    /** Every vector of {@code table} (all tokens of all samples, in dataset order) as FP64 rows. */
    static double[][] rows(ActivationTable table) {
        List<double[]> out = new ArrayList<>();
        for (int i = 0; i < table.sampleCount(); i++) {
            for (float[] v : table.vectors(i)) {
                double[] d = new double[v.length];
                for (int j = 0; j < v.length; j++) {
                    d[j] = v[j];
                }
                out.add(d);
            }
        }
        return out.toArray(double[][]::new);
    }

    static double[] mean(double[][] x) {
        int h = x[0].length;
        double[] m = new double[h];
        for (double[] row : x) {
            for (int j = 0; j < h; j++) {
                m[j] += row[j];
            }
        }
        for (int j = 0; j < h; j++) {
            m[j] /= x.length;
        }
        return m;
    }

    /** The two-pass FP64 sample covariance (denominator n − 1). */
    static double[][] covariance(double[][] x) {
        int h = x[0].length;
        double[] m = mean(x);
        double[][] c = new double[h][h];
        for (double[] row : x) {
            for (int i = 0; i < h; i++) {
                double di = row[i] - m[i];
                for (int j = 0; j < h; j++) {
                    c[i][j] += di * (row[j] - m[j]);
                }
            }
        }
        for (double[] r : c) {
            for (int j = 0; j < h; j++) {
                r[j] /= x.length - 1;
            }
        }
        return c;
    }

    /** Eigenvalues (descending) and unit eigenvectors (rows) of symmetric {@code a}, by cyclic Jacobi rotations. */
    record Eigen(double[] values, double[][] vectors) {}

    static Eigen jacobi(double[][] input) {
        int n = input.length;
        double[][] a = Arrays.stream(input).map(double[]::clone).toArray(double[][]::new);
        double[][] v = new double[n][n];
        for (int i = 0; i < n; i++) {
            v[i][i] = 1;
        }
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            double total = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    total += a[i][j] * a[i][j];
                    if (i != j) {
                        off += a[i][j] * a[i][j];
                    }
                }
            }
            if (off <= 1e-30 * total) {
                break;
            }
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    if (a[p][q] == 0) {
                        continue;
                    }
                    double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) {
                        t = 1;
                    }
                    double c = 1 / Math.sqrt(t * t + 1);
                    double s = t * c;
                    for (int k = 0; k < n; k++) {
                        double akp = a[k][p];
                        double akq = a[k][q];
                        a[k][p] = c * akp - s * akq;
                        a[k][q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++) {
                        double apk = a[p][k];
                        double aqk = a[q][k];
                        a[p][k] = c * apk - s * aqk;
                        a[q][k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < n; k++) {
                        double vkp = v[k][p];
                        double vkq = v[k][q];
                        v[k][p] = c * vkp - s * vkq;
                        v[k][q] = s * vkp + c * vkq;
                    }
                }
            }
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        double[][] fa = a;
        Arrays.sort(order, (x, y) -> Double.compare(fa[y][y], fa[x][x]));
        double[] values = new double[n];
        double[][] vectors = new double[n][n];
        for (int r = 0; r < n; r++) {
            values[r] = a[order[r]][order[r]];
            for (int k = 0; k < n; k++) {
                vectors[r][k] = v[k][order[r]];
            }
        }
        return new Eigen(values, vectors);
    }

    static double dot(double[] a, float[] b, int offset) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[offset + i];
        }
        return s;
    }

    static double norm(float[] a, int offset, int length) {
        double s = 0;
        for (int i = 0; i < length; i++) {
            s += (double) a[offset + i] * a[offset + i];
        }
        return Math.sqrt(s);
    }
}
