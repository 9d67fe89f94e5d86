package org.fpwap.result;

import java.util.Optional;

/**
 * The outcome of checking the layer-streaming schedule against the naive one on the same microbatches.
 *
 * @param checked per-sample digests compared: each sample's activation at every subscribed (layer, hook), and each
 *     stateless callback's emit
 * @param firstMismatch the first (layer, hook, sample) whose activations differ in any bit, if any
 */
public record VerifyReport(long checked, Optional<Mismatch> firstMismatch) {

    /**
     * Where the schedules first disagree.
     *
     * @param layer the block
     * @param hook the hook (as seen by READ callbacks, or after write-backs)
     * @param sampleId the dataset sample
     */
    public record Mismatch(int layer, String hook, long sampleId) {}

    /** Whether every compared activation was bit-identical. */
    public boolean identical() {
        return firstMismatch.isEmpty();
    }

    /** One line for a terminal. */
    public String summary() {
        return firstMismatch.map(m -> "verify FAILED: streaming and naive schedules differ first at layer " + m.layer()
                        + " hook " + m.hook() + " sample " + m.sampleId() + " (" + checked + " activations compared)")
                .orElse("verify passed: " + checked + " per-sample activations and emits bit-identical between the streaming and naive "
                        + "schedules");
    }
}
