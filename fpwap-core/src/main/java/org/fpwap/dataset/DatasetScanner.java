package org.fpwap.dataset;

import java.util.Arrays;
import java.util.BitSet;
import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * The two passes the engine makes over a {@link Dataset}.
 *
 * <p>{@link #scan} reads every sample once, validates it against the model (token ids inside the
 * vocabulary, non-empty, no longer than the position limit, ids in order) and keeps only lengths and
 * labels. {@link #replay} is the second pass: the same samples again, checked again and compared
 * with the scan, so a file modified between the passes fails with a message instead of feeding
 * different or out-of-vocabulary ids to the embedding.
 *
 * <p>Errors are {@link DatasetException}s prefixed with {@link Dataset#locate}, e.g.
 * {@code prompts.jsonl:3: input_ids[2] = 999 is outside the vocabulary [0, 128)}.
 */
public final class DatasetScanner {
    /** Largest sample count the int-indexed summary arrays can hold. */
    static final int MAX_SAMPLES = Integer.MAX_VALUE - 8;

    private DatasetScanner() {}

    /**
     * Validates every sample of {@code dataset} in one streamed pass.
     *
     * @param vocabSize token ids must lie in {@code [0, vocabSize)}
     * @param maxPositions samples may have at most this many tokens
     * @throws DatasetException at the first invalid sample, or if the dataset is empty
     */
    public static DatasetSummary scan(Dataset dataset, int vocabSize, int maxPositions) {
        Objects.requireNonNull(dataset, "dataset is null");
        checkLimits(vocabSize, maxPositions);
        int[] lengths = new int[1024];
        long[] labels = new long[1024];
        BitSet labelled = new BitSet();
        int count = 0;
        long totalTokens = 0;
        int maxLength = 0;
        try (SampleCursor cursor = dataset.open()) {
            while (cursor.hasNext()) {
                Sample sample = cursor.next();
                check(dataset, sample, count, vocabSize, maxPositions);
                if (count == MAX_SAMPLES) {
                    throw new DatasetException(dataset.description() + ": more than " + MAX_SAMPLES
                            + " samples; split the dataset into several runs");
                }
                if (count == lengths.length) {
                    int grown = (int) Math.min(MAX_SAMPLES, 2L * count);
                    lengths = Arrays.copyOf(lengths, grown);
                    labels = Arrays.copyOf(labels, grown);
                }
                lengths[count] = sample.length();
                if (sample.label().isPresent()) {
                    labels[count] = sample.label().getAsLong();
                    labelled.set(count);
                }
                totalTokens += sample.length();
                maxLength = Math.max(maxLength, sample.length());
                count++;
            }
        }
        if (count == 0) {
            throw new DatasetException(dataset.description() + ": no prompts; the input needs at least one sample");
        }
        return new DatasetSummary(Arrays.copyOf(lengths, count), Arrays.copyOf(labels, count), labelled, totalTokens,
                maxLength);
    }

    /**
     * Opens the second pass: the samples of {@code dataset} in order, each validated as in
     * {@link #scan} and checked against {@code summary} (same count, lengths and labels).
     *
     * @throws DatasetException from the cursor if the data no longer matches the scan
     */
    public static SampleCursor replay(Dataset dataset, DatasetSummary summary, int vocabSize, int maxPositions) {
        Objects.requireNonNull(dataset, "dataset is null");
        Objects.requireNonNull(summary, "summary is null");
        checkLimits(vocabSize, maxPositions);
        return new ReplayCursor(dataset, dataset.open(), summary, vocabSize, maxPositions);
    }

    /**
     * Validates one sample at position {@code index}; shared by both passes and
     * {@link JsonlDataset#read}.
     */
    static void check(Dataset dataset, Sample sample, long index, int vocabSize, int maxPositions) {
        if (sample.id() != index) {
            throw new DatasetException(dataset.description() + ": sample at position " + index + " has id " + sample.id()
                    + "; a dataset must yield ids 0, 1, 2, ... in order");
        }
        int[] tokens = sample.tokenArray();
        if (tokens.length == 0) {
            throw new DatasetException(dataset.locate(index)
                    + ": field \"input_ids\" is empty; every prompt needs at least one token");
        }
        if (tokens.length > maxPositions) {
            throw new DatasetException(dataset.locate(index) + ": prompt has " + tokens.length
                    + " tokens, more than the model's position limit " + maxPositions + "; truncate or split it");
        }
        for (int i = 0; i < tokens.length; i++) {
            int id = tokens[i];
            if (id < 0 || id >= vocabSize) {
                throw new DatasetException(dataset.locate(index) + ": input_ids[" + i + "] = " + id
                        + " is outside the vocabulary [0, " + vocabSize + ")");
            }
        }
    }

    private static void checkLimits(int vocabSize, int maxPositions) {
        if (vocabSize <= 0) {
            throw new IllegalArgumentException("vocabSize must be positive, got " + vocabSize);
        }
        if (maxPositions <= 0) {
            throw new IllegalArgumentException("maxPositions must be positive, got " + maxPositions);
        }
    }

    /** {@link #replay}: validates and compares each sample with the scan. */
    private static final class ReplayCursor implements SampleCursor {
        private final Dataset dataset;
        private final SampleCursor inner;
        private final DatasetSummary summary;
        private final int vocabSize;
        private final int maxPositions;
        private int index;

        ReplayCursor(Dataset dataset, SampleCursor inner, DatasetSummary summary, int vocabSize, int maxPositions) {
            this.dataset = dataset;
            this.inner = inner;
            this.summary = summary;
            this.vocabSize = vocabSize;
            this.maxPositions = maxPositions;
        }

        @Override
        public boolean hasNext() {
            boolean more = inner.hasNext();
            if (more && index >= summary.sampleCount()) {
                throw changed(index, "it has more samples than the " + summary.sampleCount() + " found by the scan");
            }
            if (!more && index < summary.sampleCount()) {
                throw new DatasetException(dataset.description() + ": ends after " + index + " samples but the scan found "
                        + summary.sampleCount() + "; the input changed during the run, leave it untouched until the run ends");
            }
            return more;
        }

        @Override
        public Sample next() {
            if (!hasNext()) {
                throw new NoSuchElementException("all " + index + " samples of " + dataset.description() + " were read");
            }
            Sample sample = inner.next();
            check(dataset, sample, index, vocabSize, maxPositions);
            if (sample.length() != summary.length(index)) {
                throw changed(index, "it has " + sample.length() + " tokens, the scan found " + summary.length(index));
            }
            if (!sample.label().equals(summary.label(index))) {
                throw changed(index, "its label is " + sample.label() + ", the scan found " + summary.label(index));
            }
            index++;
            return sample;
        }

        private DatasetException changed(long id, String what) {
            return new DatasetException(dataset.locate(id) + ": the input changed since it was scanned (" + what
                    + "); leave it untouched until the run ends");
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
