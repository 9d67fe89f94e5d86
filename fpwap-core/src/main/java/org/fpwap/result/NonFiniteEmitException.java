package org.fpwap.result;

/**
 * An emitted vector held a NaN or infinity, which int8 storage cannot represent (its scale would be
 * meaningless). The message names the sample (dataset order) and, for per-token emits, the token.
 */
public final class NonFiniteEmitException extends IllegalArgumentException {

    private final long sample;

    /**
     * @param sample the sample's row in dataset order
     * @param token the token within the sample, or -1 for a pooled (one vector per sample) emit
     */
    public NonFiniteEmitException(long sample, int token) {
        super("sample " + sample + (token >= 0 ? " token " + token : "") + " holds a NaN or infinity, which int8 "
                + "storage cannot represent; store it as f32 (--store f32) to keep such values, or find where they come from");
        this.sample = sample;
    }

    /** {@return the sample's row in dataset order} */
    public long sample() {
        return sample;
    }
}
