package org.fpwap.callback;

import static java.util.Objects.requireNonNull;

import org.fpwap.model.ModelSpec;

/**
 * What a callback may want to know before the first batch.
 *
 * @param model the model's architecture
 * @param sampleCount samples in the dataset
 * @param totalTokens real tokens in the dataset
 * @param modelFingerprint a digest identifying the model files (for artifact metadata)
 */
public record SweepInfo(ModelSpec model, int sampleCount, long totalTokens, String modelFingerprint) {
    public SweepInfo {
        requireNonNull(model, "model is null");
        requireNonNull(modelFingerprint, "modelFingerprint is null");
    }
}
