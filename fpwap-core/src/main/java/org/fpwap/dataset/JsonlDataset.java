package org.fpwap.dataset;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a whole JSON Lines file into the heap: one object per line,
 * {@code {"input_ids": [..], "label": <int>}} ({@code label} optional). The sample id is the 0-based
 * line number. Every error names the file, the 1-based line, the field and the offending value.
 *
 * <p>For small inputs only; large datasets are streamed with {@link Dataset#jsonl} and
 * {@link DatasetScanner}, which this method is built on.
 */
public final class JsonlDataset {

    private JsonlDataset() {}

    /**
     * Reads and validates every line of {@code file}.
     *
     * @param vocabSize token ids must lie in {@code [0, vocabSize)}
     * @param maxPositions prompts may have at most this many tokens
     * @throws DatasetException for the first invalid line, or an empty file
     */
    public static List<Sample> read(Path file, int vocabSize, int maxPositions) {
        if (vocabSize <= 0 || maxPositions <= 0) {
            throw new IllegalArgumentException("vocabSize and maxPositions must be positive, got " + vocabSize + " and "
                    + maxPositions);
        }
        Dataset dataset = Dataset.jsonl(file);
        List<Sample> samples = new ArrayList<>();
        try (SampleCursor cursor = dataset.open()) {
            while (cursor.hasNext()) {
                Sample sample = cursor.next();
                DatasetScanner.check(dataset, sample, samples.size(), vocabSize, maxPositions);
                samples.add(sample);
            }
        }
        if (samples.isEmpty()) {
            throw new DatasetException(file + ": no prompts; the input needs at least one line");
        }
        return samples;
    }
}
