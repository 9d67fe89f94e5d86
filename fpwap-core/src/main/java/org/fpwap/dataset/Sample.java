package org.fpwap.dataset;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * One prompt of a dataset.
 *
 * @param id the 0-based position in the dataset (the JSONL line number, the Arrow row number)
 * @param tokens the token ids; a validated sample ({@link DatasetScanner}) is never empty
 * @param label an optional integer class label
 */
public record Sample(long id, int[] tokens, OptionalLong label) {
    /** Copies {@code tokens}, so the sample is immutable. */
    public Sample {
        tokens = tokens.clone();
        Objects.requireNonNull(label, "label is null");
    }

    /** A copy of the token ids. */
    @Override
    public int[] tokens() {
        return tokens.clone();
    }

    /** Number of tokens. */
    public int length() {
        return tokens.length;
    }

    /** The {@code i}-th token id, without copying the array. */
    public int token(int i) {
        return tokens[i];
    }

    /** Copies the token ids into {@code dest} at {@code destPos}, e.g. into a microbatch's id buffer. */
    public void copyTokensTo(int[] dest, int destPos) {
        System.arraycopy(tokens, 0, dest, destPos, tokens.length);
    }

    /** The token array itself, for validation inside this package; never modified, never handed out. */
    int[] tokenArray() {
        return tokens;
    }
}
