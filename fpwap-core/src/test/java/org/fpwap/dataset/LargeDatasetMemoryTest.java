package org.fpwap.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedWriter;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * 200k short prompts are scanned and streamed without the heap growing with the dataset.
 *
 * <p>Two independent checks: the live heap after a full GC stays far below what keeping the samples
 * would cost (a {@code List<Sample>} of this file is ~25 MB, the file ~11 MB), and a sample the test
 * no longer references is collectable while the cursor is still open (the cursor keeps no history).
 */
class LargeDatasetMemoryTest {
    private static final int PROMPTS = 200_000;
    private static final int VOCAB = 512;

    @TempDir
    static Path dir;
    private static Path file;
    private static long tokens;

    @BeforeAll
    static void writeLargeJsonl() throws IOException {
        file = dir.resolve("large.jsonl");
        SplittableRandom random = new SplittableRandom(42);
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < PROMPTS; i++) {
                line.setLength(0);
                int length = 8 + random.nextInt(17); // 8..24 tokens
                tokens += length;
                line.append("{\"input_ids\": [");
                for (int t = 0; t < length; t++) {
                    line.append(t == 0 ? "" : ", ").append(random.nextInt(VOCAB));
                }
                line.append("], \"label\": ").append(i % 3).append("}\n");
                out.write(line.toString());
            }
        }
    }

    private static long usedHeapAfterGc() {
        Runtime runtime = Runtime.getRuntime();
        System.gc();
        System.gc();
        return runtime.totalMemory() - runtime.freeMemory();
    }

    @Test
    @Timeout(120) // a guard against a hang, not a speed claim: a loaded machine took 8 s
    void scanningAndStreamingKeepTheHeapFarBelowTheDatasetSize() throws IOException {
        long fileSize = Files.size(file);
        // what the scan must keep: 4 bytes of length + 8 of label + a bit per sample
        long summaryBytes = PROMPTS * 13L;
        long budget = summaryBytes + (3L << 20); // plus 3 MiB for cursor buffers and GC noise
        assertTrue(fileSize > 3 * budget, "the test is meaningful only if the file dwarfs the budget");
        Dataset dataset = Dataset.jsonl(file);

        long base = usedHeapAfterGc();
        long worst = 0;
        DatasetSummary summary = DatasetScanner.scan(dataset, VOCAB, 64);
        worst = Math.max(worst, usedHeapAfterGc() - base);
        assertEquals(PROMPTS, summary.sampleCount());
        assertEquals(tokens, summary.totalTokens());

        long streamedTokens = 0;
        try (SampleCursor cursor = DatasetScanner.replay(dataset, summary, VOCAB, 64)) {
            for (int i = 0; cursor.hasNext(); i++) {
                streamedTokens += cursor.next().length();
                if (i % 50_000 == 49_999) {
                    worst = Math.max(worst, usedHeapAfterGc() - base);
                }
            }
        }
        assertEquals(tokens, streamedTokens);
        System.out.printf("%s: %d bytes, %d prompts; live heap grew by at most %d bytes (budget %d)%n",
                getClass().getSimpleName(), fileSize, PROMPTS, worst, budget);
        assertTrue(worst < budget, "heap grew by " + worst + " bytes while streaming a " + fileSize
                + "-byte file; budget " + budget);
    }

    @Test
    @Timeout(120) // a guard against a hang, not a speed claim: a loaded machine took 8 s
    void anOpenCursorKeepsNoReferenceToSamplesItAlreadyReturned() {
        try (SampleCursor cursor = Dataset.jsonl(file).open()) {
            WeakReference<Sample> first = new WeakReference<>(cursor.next());
            for (int i = 0; i < 10_000; i++) {
                cursor.next();
            }
            usedHeapAfterGc();
            assertNull(first.get(), "the cursor still references the first sample");
        }
    }
}
