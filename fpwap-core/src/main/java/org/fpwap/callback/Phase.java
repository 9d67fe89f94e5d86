package org.fpwap.callback;

/**
 * When a callback runs at a hook. All {@link #WRITE} callbacks run first, in registration order, each
 * seeing the previous one's write-back; {@link #READ} callbacks then see the activation as it was
 * before any write, unless they declare {@link Callback#readsAfterWrites()}.
 */
public enum Phase {
    /** Observes activations; may emit, never writes back. */
    READ,
    /** May replace the activation the rest of the forward uses. */
    WRITE
}
