package org.fpwap.callbacks;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** How {@link RawActivations} reduces a sample's token activations. Only real tokens ever count. */
public enum Pool {
    /** The last real token's vector. */
    LAST,
    /** The mean over real tokens. */
    MEAN,
    /** Every real token's vector (ragged). */
    ALL;

    /** The lower-case name used on the command line. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The pool called {@code name} on the command line, if any. */
    public static Optional<Pool> fromWireName(String name) {
        return Arrays.stream(values()).filter(p -> p.wireName().equals(name)).findFirst();
    }
}
