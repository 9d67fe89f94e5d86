package org.fpwap.spark;

import java.io.Serializable;
import java.util.List;
import org.fpwap.callback.Callback;

/**
 * Makes a fresh set of callbacks, in the same order with the same names, on whichever JVM calls it (every
 * shard's sweep, every state merge and the driver's final pass each need their own instances). A lambda
 * assigned to this type is serializable; it must capture only serializable values.
 */
@FunctionalInterface
public interface CallbackFactory extends Serializable {

    /** New callbacks, reset. */
    List<Callback> create();
}
