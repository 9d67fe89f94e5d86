package org.fpwap.forward;

import org.fpwap.model.MlpSpec;

/**
 * Chooses each token's experts from its router probabilities (softmax over all experts, FP32) on the host: top-k
 * over all experts or over the best groups (DeepSeek-V2's {@code group_limited_greedy}), then the family's
 * renormalisation and scaling, each in FP32 as HF computes them. Ties go to the lower expert index.
 */
final class ExpertRouter {

    private ExpertRouter() {}

    /** The chosen experts and weights of {@code tokens} tokens; {@code probs} is {@code [tokens, experts]}. */
    static Choice route(MlpSpec.Moe moe, float[] probs, int tokens) {
        int e = moe.experts();
        int k = moe.topK();
        int[] ids = new int[tokens * k];
        float[] weights = new float[tokens * k];
        float[] row = new float[e];
        for (int n = 0; n < tokens; n++) {
            System.arraycopy(probs, n * e, row, 0, e);
            if (moe.router().selection() instanceof MlpSpec.Selection.GroupLimited g) {
                keepBestGroups(row, g);
            }
            float sum = 0f;
            for (int j = 0; j < k; j++) {
                int best = -1;
                for (int x = 0; x < e; x++) {
                    if (!chosen(ids, n * k, j, x) && (best < 0 || row[x] > row[best])) {
                        best = x;
                    }
                }
                ids[n * k + j] = best;
                weights[n * k + j] = row[best];
                sum += row[best];
            }
            float scale = (float) moe.router().scalingFactor();
            for (int j = 0; j < k; j++) {
                float w = weights[n * k + j];
                if (moe.router().renormalize()) {
                    w /= sum;
                }
                weights[n * k + j] = scale == 1f ? w : w * scale;
            }
        }
        return new Choice(ids, weights);
    }

    private static boolean chosen(int[] ids, int from, int count, int expert) {
        for (int j = 0; j < count; j++) {
            if (ids[from + j] == expert) {
                return true;
            }
        }
        return false;
    }

    /** Zeroes the probabilities outside the {@code topGroups} groups whose best expert scores highest. */
    private static void keepBestGroups(float[] row, MlpSpec.Selection.GroupLimited g) {
        int size = row.length / g.groups();
        float[] groupScore = new float[g.groups()];
        for (int grp = 0; grp < g.groups(); grp++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int x = grp * size; x < (grp + 1) * size; x++) {
                max = Math.max(max, row[x]);
            }
            groupScore[grp] = max;
        }
        boolean[] keep = new boolean[g.groups()];
        for (int j = 0; j < g.topGroups(); j++) {
            int best = -1;
            for (int grp = 0; grp < g.groups(); grp++) {
                if (!keep[grp] && (best < 0 || groupScore[grp] > groupScore[best])) {
                    best = grp;
                }
            }
            keep[best] = true;
        }
        for (int grp = 0; grp < g.groups(); grp++) {
            if (!keep[grp]) {
                java.util.Arrays.fill(row, grp * size, (grp + 1) * size, 0f);
            }
        }
    }

    /** Each token's chosen experts and their weights, {@code [tokens, topK]} row-major. */
    record Choice(int[] experts, float[] weights) {}
}
