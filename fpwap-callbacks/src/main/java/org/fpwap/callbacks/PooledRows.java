package org.fpwap.callbacks;

import org.fpwap.callback.Batch;
import org.fpwap.forward.Microbatch;

/**
 * A batch's vectors copied to the host in FP64, pooled as {@link RawActivations} pools them (the same
 * {@link Batch} methods, so the values are the ones a {@code RawActivations} emits): one row per sample
 * for {@link Pool#LAST} and {@link Pool#MEAN}, one per real token for {@link Pool#ALL}.
 *
 * @param values {@code count × width}, row-major
 * @param count rows
 * @param width H
 * @param row the batch row (sample) each vector came from
 */
record PooledRows(double[] values, int count, int width, int[] row) {

    static PooledRows of(Batch batch, Pool pool) {
        int width = (int) batch.activations().getShape().get(2);
        int b = batch.size();
        return switch (pool) {
            case LAST -> perSample(batch.lastRealToken().toFloatArray(), b, width);
            case MEAN -> perSample(batch.meanOverRealTokens().toFloatArray(), b, width);
            case ALL -> {
                Microbatch mb = batch.microbatch();
                float[] acts = batch.activations().toFloatArray();
                int count = Math.toIntExact(mb.realTokens());
                double[] values = new double[Math.multiplyExact(count, width)];
                int[] rows = new int[count];
                int r = 0;
                for (int s = 0; s < b; s++) {
                    int from = (s * mb.width() + mb.offset(s)) * width;
                    int n = mb.length(s) * width;
                    for (int i = 0; i < n; i++) {
                        values[r * width + i] = acts[from + i];
                    }
                    for (int t = 0; t < mb.length(s); t++) {
                        rows[r + t] = s;
                    }
                    r += mb.length(s);
                }
                yield new PooledRows(values, count, width, rows);
            }
        };
    }

    private static PooledRows perSample(float[] pooled, int b, int width) {
        double[] values = new double[pooled.length];
        for (int i = 0; i < values.length; i++) {
            values[i] = pooled[i];
        }
        int[] rows = new int[b];
        for (int s = 0; s < b; s++) {
            rows[s] = s;
        }
        return new PooledRows(values, b, width, rows);
    }
}
