package org.fpwap.dataset;

import java.util.OptionalLong;

/**
 * One prompt of a dataset.
 *
 * @param id the 0-based position in the dataset (the JSONL line number)
 * @param tokens the token ids, never empty
 * @param label an optional integer class label
 */
public record Sample(long id, int[] tokens, OptionalLong label) {
    public Sample {
        tokens = tokens.clone();
        java.util.Objects.requireNonNull(label, "label is null");
    }

    @Override
    public int[] tokens() {
        return tokens.clone();
    }

    /** Number of tokens. */
    public int length() {
        return tokens.length;
    }
}
