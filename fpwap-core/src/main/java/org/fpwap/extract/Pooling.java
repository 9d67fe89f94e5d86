package org.fpwap.extract;

import org.fpwap.forward.Microbatch;

/** Reduces rows of a host copy of {@code [B, T, H]} activations to what {@link Pool} stores. */
final class Pooling {

    private final Pool pool;
    private final int hidden;
    private final float[] mean;

    Pooling(Pool pool, int hidden) {
        this.pool = pool;
        this.hidden = hidden;
        this.mean = new float[hidden];
    }

    /** Stores every row of the microbatch's activations {@code acts} ({@code B·T·H} floats) into {@code store}. */
    void store(Microbatch mb, float[] acts, ActivationStore store) {
        for (int b = 0; b < mb.size(); b++) {
            int row = Math.toIntExact(mb.sampleId(b));
            int first = b * mb.width() + mb.offset(b);
            switch (pool) {
                case ALL -> store.put(row, acts, first * hidden);
                case LAST -> store.put(row, acts, (first + mb.length(b) - 1) * hidden);
                case MEAN -> {
                    meanOf(acts, first, mb.length(b));
                    store.put(row, mean, 0);
                }
            }
        }
    }

    /** Mean over {@code len} token vectors from slot {@code first}, summed in FP64. */
    private void meanOf(float[] acts, int first, int len) {
        for (int h = 0; h < hidden; h++) {
            double sum = 0;
            for (int t = 0; t < len; t++) {
                sum += acts[(first + t) * hidden + h];
            }
            mean[h] = (float) (sum / len);
        }
    }
}
