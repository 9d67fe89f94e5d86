package org.fpwap.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import org.fpwap.oracle.HookReference;

/**
 * The checks every family gets against its independent FP64 {@link HookReference}: every hook of every
 * layer, every sample of a batch of prompts of different lengths, both padding sides, within a relative
 * Frobenius error per sample.
 */
public final class FamilyChecks {

    private FamilyChecks() {}

    /**
     * Runs our forward on {@code modelDir} ({@code referenceDir}'s weights, possibly in BF16/F16 whose exact FP32
     * widening {@code referenceDir} holds) and asserts every hook within {@code tolerance}; returns the largest error.
     */
    public static double assertHooksMatchReference(Path modelDir, Path referenceDir, List<int[]> prompts, double tolerance,
            String what) {
        HookReference ref;
        try {
            ref = HookReference.load(referenceDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        double[][][][][] expected = new double[prompts.size()][][][][];
        for (int s = 0; s < prompts.size(); s++) {
            expected[s] = ref.hooks(prompts.get(s));
        }
        double max = 0;
        for (PaddingSide side : PaddingSide.values()) {
            float[][][][][] ours = HookCapture.run(modelDir, prompts, side);
            for (int s = 0; s < prompts.size(); s++) {
                assertEquals(expected[s].length, ours[s].length, what + ": layer count");
                for (int layer = 0; layer < expected[s].length; layer++) {
                    for (Hook hook : Hook.values()) {
                        double err = Comparisons.relativeError(ours[s][layer][hook.ordinal()], expected[s][layer][hook.ordinal()]);
                        max = Math.max(max, err);
                        assertTrue(err <= tolerance, what + " (" + side + " padding) sample " + s + " (" + prompts.get(s).length
                                + " tokens) layer " + layer + " " + hook + ": relative error " + err + " > " + tolerance);
                    }
                }
            }
        }
        return max;
    }

    /** The largest per-sample relative error of our forward against the reference on any hook (no assertion). */
    public static double worstError(Path modelDir, Path referenceDir, List<int[]> prompts) {
        try {
            HookReference ref = HookReference.load(referenceDir);
            float[][][][][] ours = HookCapture.run(modelDir, prompts, PaddingSide.RIGHT);
            double max = 0;
            for (int s = 0; s < prompts.size(); s++) {
                double[][][][] expected = ref.hooks(prompts.get(s));
                for (int layer = 0; layer < expected.length; layer++) {
                    for (Hook hook : Hook.values()) {
                        max = Math.max(max, Comparisons.relativeError(ours[s][layer][hook.ordinal()],
                                expected[layer][hook.ordinal()]));
                    }
                }
            }
            return max;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
