package org.fpwap.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.fpwap.buffer.ResidualBuffer;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.Sample;
import org.fpwap.forward.Hook;
import org.fpwap.forward.OurForward;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.profile.Profile;
import org.fpwap.result.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * BF16 residual transport rounds the residual stream to BF16 between layers: close to FP32 transport
 * (BF16 has 8 significant bits, relative rounding ≤ 2⁻⁹ per layer) but not equal, with half the bytes.
 */
class Bf16TransportTest {

    private static final int H = 64;
    private static final int LAYERS = 3;

    @TempDir
    Path tmp;

    @Test
    void bf16TransportIsCloseToFp32ButNotIdenticalAndMovesHalfTheBytes() {
        Path model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(LAYERS).build(), model);
        List<Sample> data = SweepTestData.prompts(6, 128, 17, 4, 9, 12, 1, 8);
        long tokenRows = SweepTestData.realTokens(data) * H;
        try (Sweep fp32 = build(model, data, ResidualBuffer.Transport.FP32, "fp32");
                Sweep bf16 = build(model, data, ResidualBuffer.Transport.BF16, "bf16")) {
            Result exact = fp32.run();
            Result rounded = bf16.run();
            boolean anyDifferent = false;
            for (int layer = 0; layer < LAYERS; layer++) {
                for (Hook hook : Hook.values()) {
                    for (int i = 0; i < data.size(); i++) {
                        float[][] a = rounded.activations(layer, hook).vectors(i);
                        float[][] e = exact.activations(layer, hook).vectors(i);
                        double err = OurForward.relativeError(a, e);
                        assertTrue(err < 1e-2, "layer " + layer + " " + hook + " sample " + i + ": relative error " + err);
                        anyDifferent |= SweepTestData.firstBitDifference(a, e) != null;
                    }
                }
            }
            assertTrue(anyDifferent, "BF16 transport gave bit-identical results: it did not round");
            // Layer 0's residual_pre is the embedding read back from the buffer: every value is a BF16 value.
            for (int i = 0; i < data.size(); i++) {
                for (float[] row : rounded.activations(0, Hook.RESIDUAL_PRE).vectors(i)) {
                    for (float v : row) {
                        assertEquals(0, Float.floatToRawIntBits(v) & 0xFFFF, "not a BF16 value: " + v);
                    }
                }
            }
            Profile p32 = exact.profile();
            Profile p16 = rounded.profile();
            assertEquals(LAYERS * tokenRows * 4, p32.residualBytesRead());
            assertEquals(LAYERS * tokenRows * 2, p16.residualBytesRead());
            assertEquals(p32.residualBytesWritten(), 2 * p16.residualBytesWritten());
            assertFalse(exact.verification().isPresent());
        }
        assertEquals(tokenRows * 4, fileSize(tmp.resolve("fp32").resolve("residual.fp32.bin")));
        assertEquals(tokenRows * 2, fileSize(tmp.resolve("bf16").resolve("residual.bf16.bin")));
    }

    private static long fileSize(Path p) {
        try {
            return java.nio.file.Files.size(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Sweep build(Path model, List<Sample> data, ResidualBuffer.Transport t, String work) {
        return Sweep.builder().model(model).dataset(Dataset.of(data)).microbatch(4).residualTransport(t).keepResidual(true)
                .workDir(model.resolveSibling(work)).callbacks(RecordingCallback.everywhere()).build();
    }
}
