package org.fpwap.extract;

import org.fpwap.forward.Hook;

/**
 * A (layer, hook) pair: one output of an extraction.
 *
 * @param layer the block index
 * @param hook the hook
 */
public record LayerHook(int layer, Hook hook) {

    /** The output file's path relative to the output directory, without extension: {@code layer-L/hook}. */
    public String relativeStem() {
        return "layer-" + layer + "/" + hook.wireName();
    }
}
