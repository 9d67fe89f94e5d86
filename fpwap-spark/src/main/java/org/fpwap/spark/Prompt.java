package org.fpwap.spark;

import java.io.Serializable;
import java.util.OptionalLong;
import org.fpwap.dataset.Sample;

/**
 * One sample as Spark ships it to an executor ({@link Sample} holds an {@link OptionalLong}, which Java
 * serialization cannot carry).
 *
 * @param id the sample's position in the whole dataset
 * @param tokens the token ids
 * @param label the class label, or {@code null} for none
 */
public record Prompt(long id, int[] tokens, Long label) implements Serializable {

    /** The serializable copy of {@code sample}. */
    public static Prompt of(Sample sample) {
        return new Prompt(sample.id(), sample.tokens(),
                sample.label().isPresent() ? Long.valueOf(sample.label().getAsLong()) : null);
    }

    /** This prompt as sample {@code localId} of a shard's own dataset. */
    Sample toSample(long localId) {
        return new Sample(localId, tokens, label == null ? OptionalLong.empty() : OptionalLong.of(label));
    }

    /** The label as the core API carries it. */
    OptionalLong optionalLabel() {
        return label == null ? OptionalLong.empty() : OptionalLong.of(label);
    }
}
