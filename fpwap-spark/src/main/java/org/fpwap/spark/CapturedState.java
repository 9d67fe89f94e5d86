package org.fpwap.spark;

import java.io.Serializable;
import java.util.List;

/**
 * One callback's state bytes as a shard left them: just before each {@code onLayerEnd(layer)} (the point where
 * a layer's accumulators are complete and not yet consumed) and just before {@code onSweepEnd}.
 *
 * @param callback the callback's name
 * @param layers the layers whose end the sweep announced, in order
 * @param atLayerEnd the state before each of those layer ends, aligned with {@code layers}
 * @param atSweepEnd the state before the sweep's end
 */
record CapturedState(String callback, List<Integer> layers, List<byte[]> atLayerEnd, byte[] atSweepEnd) implements Serializable {

    CapturedState {
        layers = List.copyOf(layers);
        atLayerEnd = List.copyOf(atLayerEnd);
        if (layers.size() != atLayerEnd.size()) {
            throw new IllegalArgumentException("callback " + callback + ": " + layers.size() + " layers but "
                    + atLayerEnd.size() + " states");
        }
    }
}
