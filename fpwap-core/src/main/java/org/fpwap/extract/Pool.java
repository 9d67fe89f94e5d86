package org.fpwap.extract;

import java.util.Arrays;
import java.util.Optional;

/** How a sample's token activations become what is stored. Only real tokens ever count. */
public enum Pool {
    /** The last real token's vector. */
    LAST,
    /** The mean over real tokens (accumulated in FP64, stored as FP32). */
    MEAN,
    /** Every real token's vector (ragged). */
    ALL;

    /** The lower-case name used on the command line. */
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The pool called {@code name} on the command line, if any. */
    public static Optional<Pool> fromWireName(String name) {
        return Arrays.stream(values()).filter(p -> p.wireName().equals(name)).findFirst();
    }
}
