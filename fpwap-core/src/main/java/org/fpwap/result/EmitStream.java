package org.fpwap.result;

import static java.util.Objects.requireNonNull;

import org.fpwap.forward.Hook;

/**
 * One stream of emits: what a callback emitted at a (layer, hook) over the whole dataset.
 *
 * @param callback the callback's name
 * @param layer the block
 * @param hook the hook
 */
public record EmitStream(String callback, int layer, Hook hook) {
    public EmitStream {
        requireNonNull(callback, "callback is null");
        requireNonNull(hook, "hook is null");
    }
}
