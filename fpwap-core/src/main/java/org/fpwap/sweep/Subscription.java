package org.fpwap.sweep;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import org.fpwap.callback.Callback;
import org.fpwap.forward.Hook;

/**
 * A callback with its layer selection resolved against the model.
 *
 * @param callback the callback
 * @param layers the layers it is called at, sorted
 */
record Subscription(Callback callback, int[] layers) {
    Subscription {
        requireNonNull(callback, "callback is null");
        layers = layers.clone();
    }

    /** Whether the callback is called at {@code layer}. */
    boolean at(int layer) {
        return Arrays.binarySearch(layers, layer) >= 0;
    }

    /** Whether the callback is called at ({@code layer}, {@code hook}). */
    boolean at(int layer, Hook hook) {
        return at(layer) && callback.hooks().contains(hook);
    }

    /** The deepest layer it needs. */
    int deepest() {
        return layers[layers.length - 1];
    }
}
