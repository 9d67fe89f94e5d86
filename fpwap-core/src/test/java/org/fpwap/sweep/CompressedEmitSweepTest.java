package org.fpwap.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.fpwap.callback.CallbackAction;
import org.fpwap.callback.Layers;
import org.fpwap.callback.Store;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.Sample;
import org.fpwap.forward.Hook;
import org.fpwap.forward.Microbatch;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.result.ActivationTable;
import org.fpwap.result.Result;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Emits stored as int8 or bf16 through a real sweep (padded microbatches, per-token and pooled): each stored
 * vector is the specification applied to the FP32 emit of the same sweep, and a NaN fails the run naming the
 * callback, layer, hook and sample.
 */
class CompressedEmitSweepTest {

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    static Path tmp;

    static Path model;
    /** Lengths differ within each microbatch of 3, so microbatches have pads. */
    static final List<Sample> DATA = SweepTestData.prompts(5, 128, 8, 2, 5, 6, 1, 3, 4);

    @BeforeAll
    static void makeModel() {
        model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(2).build(), model);
    }

    private static TestCallback perToken(String name, Store store) {
        return TestCallback.read(name, Layers.of(1), Set.of(Hook.MLP_OUT),
                b -> CallbackAction.Emit.perToken(b.activations()).stored(store));
    }

    @Test
    void storedVectorsAreTheSpecificationAppliedToTheSameSweepsFp32Emits() {
        try (Sweep sweep = Sweep.builder().model(model).dataset(Dataset.of(DATA)).microbatch(3).workDir(tmp.resolve("w1"))
                .callbacks(perToken("f32", Store.F32), perToken("int8", Store.INT8), perToken("bf16", Store.BF16)).build()) {
            Result result = sweep.run();
            ActivationTable exact = result.activations("f32", 1, Hook.MLP_OUT);
            ActivationTable int8 = result.activations("int8", 1, Hook.MLP_OUT);
            ActivationTable bf16 = result.activations("bf16", 1, Hook.MLP_OUT);
            assertEquals(Store.INT8, int8.store());
            assertEquals(Store.BF16, bf16.store());
            for (int row = 0; row < DATA.size(); row++) {
                float[][] x = exact.vectors(row);
                float[][] q = int8.vectors(row);
                float[][] h = bf16.vectors(row);
                assertEquals(DATA.get(row).tokens().length, q.length, "one int8 vector per real token of sample " + row);
                for (int t = 0; t < x.length; t++) {
                    float max = 0;
                    for (float v : x[t]) {
                        max = Math.max(max, Math.abs(v));
                    }
                    float scale = int8.rowScales(row).getAtIndex(FLOAT, t);
                    assertEquals(max / 127f, scale, "sample " + row + " token " + t + ": scale = max|x| / 127");
                    for (int i = 0; i < x[t].length; i++) {
                        byte expected = (byte) Math.max(-127, Math.min(127, Math.rint(x[t][i] / scale)));
                        assertEquals(expected * scale, q[t][i], "sample " + row + " token " + t + " value " + i);
                        assertTrue(Math.abs(h[t][i] - x[t][i]) <= Math.abs(x[t][i]) * 0x1p-8, "bf16 within 2^-8 relative");
                    }
                }
            }
        }
    }

    @Test
    void aNaNInAnInt8EmitFailsTheRunNamingCallbackLayerHookAndSample() {
        TestCallback poisoned = TestCallback.read("poisoned", Layers.of(1), Set.of(Hook.RESIDUAL_POST), b -> {
            NDArray last = b.lastRealToken();
            float[] v = last.toFloatArray();
            Microbatch mb = b.microbatch();
            for (int r = 0; r < mb.size(); r++) {
                if (mb.sampleId(r) == 4) {
                    v[r * (int) last.getShape().get(1) + 7] = Float.NaN;
                }
            }
            return CallbackAction.Emit.perSample(b.manager().create(v, last.getShape())).stored(Store.INT8);
        });
        try (Sweep sweep = Sweep.builder().model(model).dataset(Dataset.of(DATA)).microbatch(3).workDir(tmp.resolve("w2"))
                .callbacks(poisoned).build()) {
            CallbackException e = assertThrows(CallbackException.class, sweep::run);
            String m = e.getMessage();
            assertTrue(m.contains("poisoned") && m.contains("layer 1") && m.contains("residual_post")
                    && m.contains("sample 4 holds a NaN or infinity"), m);
        }
    }
}
