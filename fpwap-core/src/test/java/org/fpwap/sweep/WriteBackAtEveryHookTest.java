package org.fpwap.sweep;

import static org.fpwap.sweep.SweepTestData.add;
import static org.fpwap.sweep.SweepTestData.firstBitDifference;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.fpwap.callback.CallbackAction;
import org.fpwap.callback.Layers;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.Sample;
import org.fpwap.forward.Hook;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.result.Result;
import org.fpwap.result.VerifyReport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A WRITE callback adding a constant vector {@code c} at layer 0 at each of the four hooks. The expected
 * values are rebuilt in Java from what READ callbacks saw in the same run, with one FP32 add per step, so
 * the engine's outputs are never their own oracle: the block computes {@code pre' = pre + [PRE]c},
 * {@code mid = pre' + (attn + [ATTN]c)}, {@code post = mid + (mlp + [MLP]c)}, and layer 1's input is
 * {@code post + [POST]c}.
 */
class WriteBackAtEveryHookTest {

    private static final int H = 64;
    private static final float[] C = new float[H];

    static {
        for (int h = 0; h < H; h++) {
            C[h] = 0.25f * (h % 3 - 1);
        }
    }

    @TempDir
    static Path tmp;

    static Path model;
    static List<Sample> data;

    @BeforeAll
    static void makeModel() {
        model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(2).build(), model);
        // Different lengths within a microbatch, so there are pads.
        data = SweepTestData.prompts(11, 128, 9, 3, 7, 7, 1, 12, 5);
    }

    private static TestCallback steer(Hook hook) {
        return TestCallback.write("steer", Layers.of(0), Set.of(hook),
                b -> new CallbackAction.WriteBack(b.activations().add(b.manager().create(C))));
    }

    private static Result run(Sweep sweep) {
        return sweep.run();
    }

    private static Sweep.Builder base(String work) {
        return Sweep.builder().model(model).dataset(Dataset.of(data)).microbatch(3).workDir(tmp.resolve(work));
    }

    @ParameterizedTest
    @EnumSource(Hook.class)
    void verifyStillReportsBitIdenticalWithAWriteBack(Hook hook) {
        try (Sweep sweep = base("verify-" + hook).callbacks(steer(hook), RecordingCallback.everywhere()).verify(true).build()) {
            VerifyReport report = run(sweep).verification().orElseThrow();
            assertTrue(report.identical(), report.summary());
            assertTrue(report.checked() > 0);
        }
    }

    @ParameterizedTest
    @EnumSource(Hook.class)
    void theRestOfTheForwardUsesTheWrittenValue(Hook hook) {
        try (Sweep plain = base("plain-" + hook).callbacks(RecordingCallback.everywhere()).build();
                Sweep steered = base("steered-" + hook).callbacks(steer(hook), RecordingCallback.everywhere()).build()) {
            Result before = run(plain);
            Result after = run(steered);
            for (int i = 0; i < data.size(); i++) {
                // READ callbacks see the pre-write values by default.
                float[][] pre = after.activations(0, Hook.RESIDUAL_PRE).vectors(i);
                float[][] attn = after.activations(0, Hook.ATTN_OUT).vectors(i);
                float[][] mlp = after.activations(0, Hook.MLP_OUT).vectors(i);
                float[][] post = after.activations(0, Hook.RESIDUAL_POST).vectors(i);
                float[][] next = after.activations(1, Hook.RESIDUAL_PRE).vectors(i);

                float[][] preUsed = hook == Hook.RESIDUAL_PRE ? add(pre, C) : pre;
                float[][] attnUsed = hook == Hook.ATTN_OUT ? add(attn, C) : attn;
                float[][] mid = add(preUsed, attnUsed);
                float[][] mlpUsed = hook == Hook.MLP_OUT ? add(mlp, C) : mlp;
                assertNull(firstBitDifference(post, add(mid, mlpUsed)), hook + " sample " + i + " residual_post");
                float[][] postUsed = hook == Hook.RESIDUAL_POST ? add(post, C) : post;
                assertNull(firstBitDifference(next, postUsed), hook + " sample " + i + " layer 1 residual_pre");

                // Everything up to the hook is unchanged; the value after it differs from the unsteered run.
                assertNull(firstBitDifference(pre, before.activations(0, Hook.RESIDUAL_PRE).vectors(i)));
                float[][] plainNext = before.activations(1, Hook.RESIDUAL_PRE).vectors(i);
                assertNotNull(firstBitDifference(next, plainNext), hook + " sample " + i + ": the write changed nothing downstream");
                if (hook == Hook.RESIDUAL_POST) {
                    // (b) layer 1's input is exactly the unsteered residual_post + c, one FP32 add.
                    float[][] plainPost = before.activations(0, Hook.RESIDUAL_POST).vectors(i);
                    assertNull(firstBitDifference(next, add(plainPost, C)), "sample " + i);
                } else {
                    assertNotNull(firstBitDifference(post, before.activations(0, Hook.RESIDUAL_POST).vectors(i)),
                            hook + " sample " + i + ": residual_post did not change");
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Hook.class)
    void aReadCallbackSeesThePreWriteValueUnlessItReadsAfterWrites(Hook hook) {
        try (Sweep sweep = base("order-" + hook)
                .callbacks(TestCallback.recorder("before", Layers.of(0), Set.of(hook), false), steer(hook),
                        TestCallback.recorder("after", Layers.of(0), Set.of(hook), true))
                .build()) {
            Result result = run(sweep);
            for (int i = 0; i < data.size(); i++) {
                float[][] seenBefore = result.activations("before", 0, hook).vectors(i);
                float[][] seenAfter = result.activations("after", 0, hook).vectors(i);
                assertEquals(data.get(i).length(), seenBefore.length);
                assertNull(firstBitDifference(seenAfter, add(seenBefore, C)), hook + " sample " + i);
            }
        }
    }
}
