package org.fpwap.sweep;

import static org.fpwap.sweep.SweepTestData.firstBitDifference;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.index.NDIndex;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.fpwap.callback.Batch;
import org.fpwap.callback.CallbackAction;
import org.fpwap.callback.Layers;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.Sample;
import org.fpwap.forward.Hook;
import org.fpwap.forward.Microbatch;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.result.Result;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A write-back the forward cannot use fails the run with a {@link CallbackException} naming the callback,
 * the layer and the hook; a non-finite value at a pad position is not an error (pads are never real) and
 * must not reach any real token.
 */
class BadWriteBackTest {

    @TempDir
    static Path tmp;

    static Path model;
    /** Lengths differ within each microbatch of 3, so every microbatch but the last has pads. */
    static final List<Sample> DATA = SweepTestData.prompts(3, 128, 8, 2, 5, 6, 1, 3, 4);

    @BeforeAll
    static void makeModel() {
        model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(2).build(), model);
    }

    private static Sweep sweep(String work, org.fpwap.callback.Callback... callbacks) {
        return Sweep.builder().model(model).dataset(Dataset.of(DATA)).microbatch(3).workDir(tmp.resolve(work))
                .callbacks(callbacks).build();
    }

    private static CallbackException failure(Hook hook, Function<Batch, CallbackAction> body) {
        TestCallback bad = TestCallback.write("badWriter", Layers.of(1), Set.of(hook), body);
        try (Sweep s = sweep("fail-" + hook + "-" + System.nanoTime(), bad)) {
            return assertThrows(CallbackException.class, s::run);
        }
    }

    private static void assertNames(CallbackException e, String callback, int layer, Hook hook) {
        String m = e.getMessage();
        assertTrue(m.contains(callback) && m.contains("layer " + layer) && m.contains("hook " + hook.wireName()), m);
    }

    /** The activation with {@code value} at sample row 0's last real token, dimension 5. */
    private static CallbackAction poisonRealToken(Batch b, float value) {
        float[] v = b.activations().toFloatArray();
        int h = (int) b.activations().getShape().get(2);
        Microbatch mb = b.microbatch();
        v[(mb.offset(0) + mb.length(0) - 1) * h + 5] = value;
        return new CallbackAction.WriteBack(b.manager().create(v, b.activations().getShape()));
    }

    @ParameterizedTest
    @EnumSource(Hook.class)
    void aWriteBackOfTheWrongShapeFailsNamingCallbackLayerAndHook(Hook hook) {
        CallbackException e = failure(hook, b -> new CallbackAction.WriteBack(b.activations().get(new NDIndex(":, :, 1:"))));
        assertNames(e, "badWriter", 1, hook);
        assertTrue(e.getMessage().contains("shape"), e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(Hook.class)
    void aWriteBackWithNaNAtARealTokenFails(Hook hook) {
        CallbackException e = failure(hook, b -> poisonRealToken(b, Float.NaN));
        assertNames(e, "badWriter", 1, hook);
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(Hook.class)
    void aWriteBackWithInfinityAtARealTokenFails(Hook hook) {
        CallbackException e = failure(hook, b -> poisonRealToken(b, Float.POSITIVE_INFINITY));
        assertNames(e, "badWriter", 1, hook);
        assertTrue(e.getMessage().contains("Infinity"), e.getMessage());
    }

    @Test
    void aReadCallbackReturningAWriteBackFails() {
        TestCallback sneaky = TestCallback.read("sneakyReader", Layers.of(0), Set.of(Hook.ATTN_OUT),
                b -> new CallbackAction.WriteBack(b.activations()));
        try (Sweep s = sweep("read-wb", sneaky)) {
            CallbackException e = assertThrows(CallbackException.class, s::run);
            assertNames(e, "sneakyReader", 0, Hook.ATTN_OUT);
            assertTrue(e.getMessage().contains("READ"), e.getMessage());
        }
    }

    @Test
    void aCallbackReturningNullFails() {
        TestCallback reader = TestCallback.read("nullReader", Layers.of(1), Set.of(Hook.MLP_OUT), b -> null);
        try (Sweep s = sweep("null-read", reader)) {
            assertNames(assertThrows(CallbackException.class, s::run), "nullReader", 1, Hook.MLP_OUT);
        }
        TestCallback writer = TestCallback.write("nullWriter", Layers.of(0), Set.of(Hook.RESIDUAL_PRE), b -> null);
        try (Sweep s = sweep("null-write", writer)) {
            assertNames(assertThrows(CallbackException.class, s::run), "nullWriter", 0, Hook.RESIDUAL_PRE);
        }
    }

    /**
     * NaN written at every pad position (real positions restored from the activation) is accepted, and every
     * real token of every hook of both layers is bit-identical to a run without the write: pads never leak.
     */
    @ParameterizedTest
    @EnumSource(Hook.class)
    void nanAtPadPositionsIsAcceptedAndNeverReachesARealToken(Hook hook) {
        java.util.concurrent.atomic.AtomicInteger padsPoisoned = new java.util.concurrent.atomic.AtomicInteger();
        TestCallback padPoison = TestCallback.write("padPoison", Layers.of(0), Set.of(hook), b -> {
            // NaN everywhere, then the real positions restored from the activation.
            float[] real = b.activations().toFloatArray();
            float[] v = new float[real.length];
            java.util.Arrays.fill(v, Float.NaN);
            Microbatch mb = b.microbatch();
            int h = (int) b.activations().getShape().get(2);
            int pads = 0;
            for (int r = 0; r < mb.size(); r++) {
                int from = (r * mb.width() + mb.offset(r)) * h;
                System.arraycopy(real, from, v, from, mb.length(r) * h);
                pads += mb.width() - mb.length(r);
            }
            padsPoisoned.addAndGet(pads);
            return new CallbackAction.WriteBack(b.manager().create(v, b.activations().getShape()));
        });
        try (Sweep plain = sweep("pad-plain-" + hook, RecordingCallback.everywhere());
                Sweep poisoned = sweep("pad-nan-" + hook, padPoison, RecordingCallback.everywhere())) {
            Result expected = plain.run();
            Result actual = poisoned.run();
            assertTrue(padsPoisoned.get() > 0, "the dataset must give microbatches with pads");
            for (int layer = 0; layer < 2; layer++) {
                for (Hook h : Hook.values()) {
                    for (int i = 0; i < DATA.size(); i++) {
                        assertNull(firstBitDifference(actual.activations(layer, h).vectors(i), expected.activations(layer, h).vectors(i)),
                                "NaN written at pads at " + hook + " leaked into layer " + layer + " " + h + " sample " + i);
                    }
                }
            }
        }
    }
}
