package org.fpwap.result;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.fpwap.callback.Store;
import org.fpwap.device.Devices;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Int8 quantization on the device equals the specification computed here in plain Java, value for value:
 * {@code scale = max|x| / 127}, {@code q = round-half-even(x / scale)} clamped to ±127, scale 0 for an
 * all-zero vector; and every value is within {@code scale / 2} of {@code q × scale}.
 */
class EmitEncoderTest {

    static final int W = 257;

    @BeforeAll
    static void gradOff() {
        Devices.prepareComputeThread();
    }

    /** Rows that stress the scheme: ordinary, one huge outlier, all zero, all negative, tiny values, ties. */
    static float[][] rows() {
        Random random = new Random(14);
        float[][] rows = new float[6][W];
        for (int i = 0; i < W; i++) {
            rows[0][i] = (float) random.nextGaussian();
            rows[1][i] = (float) random.nextGaussian() * 0.01f;
            rows[3][i] = -Math.abs((float) random.nextGaussian()) * 40f;
            rows[4][i] = (float) random.nextGaussian() * 1e-30f;
        }
        rows[1][77] = 1e6f; // one outlier dimension, as Llama's residual stream has: everything else rounds to 0
        // rows[2] stays all zero
        // Row 5: max |x| = 127, so scale is exactly 1 and x / scale is exact: the halves test the tie rule.
        float[] ties = {127f, 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 126.5f, -126.5f, 3.49f};
        System.arraycopy(ties, 0, rows[5], 0, ties.length);
        return rows;
    }

    /** The specification, written out in Java (float arithmetic where the specification says FP32). */
    static float specScale(float[] row) {
        float max = 0;
        for (float x : row) {
            max = Math.max(max, Math.abs(x));
        }
        return max / 127f;
    }

    static byte specQ(float x, float scale) {
        if (scale == 0) {
            return 0;
        }
        double q = Math.rint(x / scale); // Math.rint rounds half to even
        return (byte) Math.max(-127, Math.min(127, q));
    }

    @Test
    void deviceQuantizationEqualsTheSpecificationForEveryValue() {
        float[][] rows = rows();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            float[] flat = new float[rows.length * W];
            for (int r = 0; r < rows.length; r++) {
                System.arraycopy(rows[r], 0, flat, r * W, W);
            }
            EncodedEmit.Int8 q = assertInstanceOf(EncodedEmit.Int8.class,
                    EmitEncoder.encode(manager.create(flat, new Shape(rows.length, W)), Store.INT8));
            assertEquals(W, q.width());
            for (int r = 0; r < rows.length; r++) {
                float scale = specScale(rows[r]);
                assertEquals(Float.floatToIntBits(scale), Float.floatToIntBits(q.scales()[r]), "scale of row " + r);
                for (int i = 0; i < W; i++) {
                    assertEquals(specQ(rows[r][i], scale), q.values()[r * W + i], "row " + r + " value " + i);
                }
            }
            assertEquals(0f, q.scales()[2], "an all-zero row has scale 0");
            assertArrayEquals(new byte[] {127, 0, 2, 2, 0, -2, -2, 126, -126, 3},
                    Arrays.copyOfRange(q.values(), 5 * W, 5 * W + 10), "ties round to even");
        }
    }

    @Test
    void everyValueIsWithinHalfAScaleOfItsDequantizedValue() {
        float[][] rows = rows();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            float[] flat = new float[rows.length * W];
            for (int r = 0; r < rows.length; r++) {
                System.arraycopy(rows[r], 0, flat, r * W, W);
            }
            // Per token: [B=2, T=3, W], so one scale per token.
            EncodedEmit.Int8 q = (EncodedEmit.Int8) EmitEncoder.encode(manager.create(flat, new Shape(2, 3, W)), Store.INT8);
            assertEquals(6, q.scales().length);
            for (int r = 0; r < rows.length; r++) {
                double scale = q.scales()[r];
                for (int i = 0; i < W; i++) {
                    double error = Math.abs(q.values()[r * W + i] * scale - rows[r][i]);
                    // x / scale is one FP32 division (relative error 2^-24, |x / scale| <= 127), hence the 1e-5 slack.
                    assertTrue(error <= scale / 2 * (1 + 1e-5), "row " + r + " value " + i + ": error " + error
                            + " > scale/2 = " + scale / 2);
                }
            }
            assertEquals(0, q.values()[W + 3], "the outlier row's small values round to 0");
            assertEquals(127, q.values()[W + 77], "the outlier itself is 127");
        }
    }

    @Test
    void aNaNOrInfinityGivesANonFiniteScaleThatTheWriterRejectsNamingTheSample(@TempDir Path tmp) {
        float[] flat = new float[3 * W];
        flat[W + 4] = Float.NaN;
        flat[2 * W] = Float.NEGATIVE_INFINITY;
        try (NDManager manager = NDManager.newBaseManager(Device.cpu());
                EmitWriter writer = EmitWriter.create(tmp.resolve("e.safetensors"), new int[] {1, 1, 1}, W, false, Store.INT8,
                        Map.of())) {
            EncodedEmit q = EmitEncoder.encode(manager.create(flat, new Shape(3, W)), Store.INT8);
            writer.put(0, q, 0);
            NonFiniteEmitException nan = assertThrows(NonFiniteEmitException.class,
                    () -> writer.put(1, q, 1));
            assertTrue(nan.getMessage().startsWith("sample 1 holds a NaN or infinity"), nan.getMessage());
            NonFiniteEmitException inf = assertThrows(NonFiniteEmitException.class,
                    () -> writer.put(2, q, 2));
            assertEquals(2, inf.sample());
        }
    }
}
