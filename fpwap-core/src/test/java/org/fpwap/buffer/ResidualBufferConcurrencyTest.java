package org.fpwap.buffer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.fpwap.buffer.ResidualBuffer.Transport;
import org.fpwap.forward.PaddingSide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResidualBufferConcurrencyTest {
    private static final int HIDDEN = 16;
    private static final int SAMPLES = 64;

    @TempDir
    Path dir;

    @Test
    void threadsWritingDisjointMicrobatchesAllLandAndAreAllCounted() throws Exception {
        long[] ids = new long[SAMPLES];
        int[] lengths = new int[SAMPLES];
        long tokens = 0;
        for (int i = 0; i < SAMPLES; i++) {
            ids[i] = i;
            lengths[i] = 1 + i % 9;
            tokens += lengths[i];
        }
        int count = 4;
        int width = 9;
        try (ResidualBuffer buffer = ResidualBuffer.create(dir, HIDDEN, ids, lengths, Transport.FP32, false);
             ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<?>> done = new ArrayList<>();
            for (int first = 0; first < SAMPLES; first += count) {
                int f = first;
                done.add(pool.submit(() -> {
                    float[] block = new float[count * width * HIDDEN];
                    for (int b = 0; b < count; b++) {
                        int offset = Rows.offset(PaddingSide.RIGHT, width, lengths[f + b]);
                        for (int t = 0; t < lengths[f + b]; t++) {
                            for (int h = 0; h < HIDDEN; h++) {
                                block[(b * width + offset + t) * HIDDEN + h] = Rows.value(f + b, t, h);
                            }
                        }
                    }
                    buffer.writePadded(f, count, width, PaddingSide.RIGHT, block);
                }));
            }
            for (Future<?> future : done) {
                future.get();
            }
            assertEquals(tokens * HIDDEN * 4, buffer.bytesWritten());
            for (int p = 0; p < SAMPLES; p++) {
                float[] rows = new float[lengths[p] * HIDDEN];
                buffer.readSample(p, rows, 0);
                float[] expected = Rows.sample(p, lengths[p], HIDDEN);
                for (int i = 0; i < rows.length; i++) {
                    assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(rows[i]),
                            "processing index " + p + " element " + i);
                }
            }
        }
    }
}
