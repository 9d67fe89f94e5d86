package org.fpwap.extract;

import java.nio.file.Path;
import java.util.List;

/**
 * What an extraction produced.
 *
 * @param outputs the activation files written, one per (layer, hook)
 * @param manifest the manifest file
 * @param samples prompts processed
 * @param realTokens real (non-pad) tokens processed
 * @param wallSeconds wall-clock time of the run
 */
public record ExtractReport(List<Path> outputs, Path manifest, int samples, long realTokens, double wallSeconds) {
    public ExtractReport {
        outputs = List.copyOf(outputs);
    }

    /** Real tokens per second. */
    public double tokensPerSecond() {
        return wallSeconds > 0 ? realTokens / wallSeconds : 0;
    }
}
