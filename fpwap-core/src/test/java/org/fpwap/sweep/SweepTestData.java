package org.fpwap.sweep;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import org.fpwap.dataset.Sample;
import org.fpwap.safetensors.Checkpoint;
import org.fpwap.safetensors.CheckpointHeaders;

/** Prompts and checkpoint facts for the sweep tests, computed without the engine. */
final class SweepTestData {

    private SweepTestData() {}

    /** Seeded random prompts of the given lengths; even ids get label {@code id % 3}, odd ids none. */
    static List<Sample> prompts(long seed, int vocab, int... lengths) {
        Random random = new Random(seed);
        List<Sample> out = new ArrayList<>();
        for (int i = 0; i < lengths.length; i++) {
            int[] t = new int[lengths[i]];
            for (int j = 0; j < t.length; j++) {
                t[j] = random.nextInt(vocab);
            }
            out.add(new Sample(i, t, i % 2 == 0 ? OptionalLong.of(i % 3) : OptionalLong.empty()));
        }
        return out;
    }

    static long realTokens(List<Sample> samples) {
        return samples.stream().mapToLong(Sample::length).sum();
    }

    /** Bytes of every tensor named {@code model.layers.<layer>.*} as the safetensors headers list them. */
    static long layerBytes(Path model, int layer) {
        CheckpointHeaders headers = Checkpoint.readHeaders(model);
        String prefix = "model.layers." + layer + ".";
        long bytes = 0;
        int count = 0;
        for (String name : headers.tensorNames()) {
            if (name.startsWith(prefix)) {
                bytes += headers.info(name).byteLength();
                count++;
            }
        }
        if (count == 0) {
            throw new IllegalStateException("no tensor " + prefix + "* in " + model);
        }
        return bytes;
    }

    /** {@code a + b} elementwise, one FP32 rounding per element, as the block's adds do. */
    static float[][] add(float[][] a, float[][] b) {
        float[][] out = new float[a.length][];
        for (int t = 0; t < a.length; t++) {
            out[t] = new float[a[t].length];
            for (int h = 0; h < a[t].length; h++) {
                out[t][h] = a[t][h] + b[t][h];
            }
        }
        return out;
    }

    /** {@code a + c} per row. */
    static float[][] add(float[][] a, float[] c) {
        float[][] out = new float[a.length][];
        for (int t = 0; t < a.length; t++) {
            out[t] = new float[a[t].length];
            for (int h = 0; h < a[t].length; h++) {
                out[t][h] = a[t][h] + c[h];
            }
        }
        return out;
    }

    /** Index of the first element whose bits differ, as "token t dim h: x vs y", or null if bit-identical. */
    static String firstBitDifference(float[][] actual, float[][] expected) {
        if (actual.length != expected.length) {
            return "token counts " + actual.length + " vs " + expected.length;
        }
        for (int t = 0; t < expected.length; t++) {
            for (int h = 0; h < expected[t].length; h++) {
                if (Float.floatToRawIntBits(actual[t][h]) != Float.floatToRawIntBits(expected[t][h])) {
                    return "token " + t + " dim " + h + ": " + actual[t][h] + " vs expected " + expected[t][h];
                }
            }
        }
        return null;
    }
}
