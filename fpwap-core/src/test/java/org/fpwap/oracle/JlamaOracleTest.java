package org.fpwap.oracle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class JlamaOracleTest {

    static Path sharedModel(String name) {
        String shared = System.getProperty("fpwap.shared.dir");
        Assumptions.assumeTrue(shared != null, "system property fpwap.shared.dir not set");
        Path dir = Path.of(shared, "models", name);
        Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("config.json")), "model " + dir + " absent");
        return dir;
    }

    static int[] prompt(int len, int vocab, long seed) {
        Random r = new Random(seed);
        int[] ids = new int[len];
        ids[0] = 1;
        for (int i = 1; i < len; i++) {
            ids[i] = r.nextInt(vocab);
        }
        return ids;
    }

    /** max over layers of ||jlama - ref||_F / ||ref||_F for one prompt. */
    static double[] relErrors(float[][][] got, double[][][] ref) {
        assertEquals(ref.length, got.length, "layer count");
        double[] e = new double[ref.length];
        for (int l = 0; l < ref.length; l++) {
            double num = 0;
            double den = 0;
            assertEquals(ref[l].length, got[l].length, "token count");
            for (int t = 0; t < ref[l].length; t++) {
                assertEquals(ref[l][t].length, got[l][t].length, "hidden size");
                for (int h = 0; h < ref[l][t].length; h++) {
                    double d = got[l][t][h] - ref[l][t][h];
                    num += d * d;
                    den += ref[l][t][h] * ref[l][t][h];
                }
            }
            e[l] = Math.sqrt(num / den);
        }
        return e;
    }

    @Test
    void stories260kMatchesFp64Reference() throws Exception {
        Path dir = sharedModel("stories260K");
        ReferenceForward ref = ReferenceForward.load(dir);
        try (JlamaOracle o = JlamaOracle.load(dir)) {
            for (int len : new int[] {1, 7, 33}) {
                int[] ids = prompt(len, 512, len);
                double[] e = relErrors(o.hiddenStates(ids), ref.hiddenStates(ids));
                System.out.println("stories260K " + o.kernels() + " len=" + len + " rel err per layer " + java.util.Arrays.toString(e));
                for (double v : e) {
                    assertTrue(v <= 1e-5, "rel err " + v);
                }
            }
        }
    }
}
