package org.fpwap.dataset;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;

/**
 * A re-iterable, streamed source of prompts in dataset order. Each {@link #open()} starts a fresh
 * sequential pass; nothing requires the dataset to fit in the heap, so the engine can scan it once
 * for validation ({@link DatasetScanner#scan}) and read it again while embedding.
 *
 * <p>Sample ids are the 0-based positions in the dataset (JSONL line number, Arrow row number) and
 * every pass yields them as {@code 0, 1, 2, ...}. Implementations other than the built-in ones
 * (e.g. text prompts tokenized on the fly) must keep that contract and be deterministic across
 * passes.
 */
public interface Dataset {

    /** Starts a new sequential pass from the first sample; the caller closes the cursor. */
    SampleCursor open();

    /** What the data is, for messages: the file path for file-backed datasets. */
    String description();

    /**
     * Where sample {@code id} lives, as a prefix for error messages: {@code prompts.jsonl:3} (1-based
     * line) for JSONL, {@code data.arrow row 17} (0-based row) for Arrow.
     */
    default String locate(long id) {
        return description() + " sample " + id;
    }

    /**
     * An in-memory dataset, for tests and small programmatic inputs.
     *
     * @param samples ids must be {@code 0..N-1} in list order
     * @throws IllegalArgumentException naming the first sample whose id is out of place
     */
    static Dataset of(List<Sample> samples) {
        return new InMemoryDataset(samples);
    }

    /**
     * A JSON Lines file: one object per line, {@code {"input_ids": [1, 2, 3], "label": 0}} with
     * {@code label} optional (absent or {@code null}); other fields are ignored. The sample id is the
     * 0-based line number, so blank lines are errors rather than skipped. The file is read one line
     * at a time; it is opened when a pass starts, not here.
     */
    static Dataset jsonl(Path file) {
        return new JsonlSource(file);
    }

    /**
     * A JSON Lines file of text prompts: one object per line, {@code {"text": "...", "label": 0}} with
     * {@code label} optional, tokenized on the fly by {@code tokenizer} (the model's
     * {@code tokenizer.json}, with its BOS id prepended if it was loaded so). Other fields are ignored,
     * but a line with {@code input_ids} is an error: token ids and text are not mixed in one file. A
     * line whose text gives no tokens (e.g. {@code ""}) is an error naming the line. The sample id is
     * the 0-based line number and every pass tokenizes again, deterministically.
     *
     * <p>The dataset borrows {@code tokenizer}: the caller keeps it open for every pass (scan and
     * replay) and closes it afterwards.
     */
    static Dataset jsonlText(Path file, TextTokenizer tokenizer) {
        return new JsonlSource(file, Objects.requireNonNull(tokenizer, "tokenizer is null"));
    }

    /**
     * An Arrow IPC file (random-access "file" format) or stream. Column {@code input_ids} is a
     * {@code list} or {@code large_list} of {@code int32} or {@code int64}; optional column
     * {@code label} is a nullable {@code int32} or {@code int64}; other columns are ignored. The
     * sample id is the 0-based row number. Each pass reads one record batch at a time with its own
     * {@code RootAllocator}, closed (and checked for leaks) when the cursor closes.
     */
    static Dataset arrow(Path file) {
        return new ArrowSource(file, null);
    }

    /**
     * Like {@link #arrow(Path)}, but each pass allocates from a child of {@code parent}, so the
     * caller's allocator accounts for (and detects leaks of) the batch buffers.
     */
    static Dataset arrow(Path file, BufferAllocator parent) {
        return new ArrowSource(file, Objects.requireNonNull(parent, "parent allocator is null"));
    }

    /**
     * A file whose format is chosen from its name ({@code .jsonl}, {@code .ndjson}, {@code .json} →
     * JSONL; {@code .arrow}, {@code .arrows}, {@code .feather}, {@code .ipc} → Arrow) or, for other
     * names, from its first bytes (Arrow magic or stream marker → Arrow, anything else → JSONL). The
     * data is token ids; text prompts need a tokenizer, see {@link #jsonlText}.
     */
    static Dataset fromFile(Path file) {
        return DatasetFormats.detect(file);
    }
}
