package org.fpwap.callback;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Which layers a callback wants. Resolved against the model's depth when the sweep is built, so an
 * out-of-range layer fails then, naming the layer and the depth, rather than being silently skipped.
 */
public sealed interface LayerSelection permits LayerSelection.All, LayerSelection.Explicit, LayerSelection.Range {

    /** The selected layers for a model of {@code numLayers} blocks, sorted and distinct. */
    int[] resolve(int numLayers);

    /** Every layer. */
    record All() implements LayerSelection {
        @Override
        public int[] resolve(int numLayers) {
            return IntStream.range(0, numLayers).toArray();
        }
    }

    /** The listed layers (negative indices count from the end, as in Python: -1 is the last layer). */
    record Explicit(int[] layers) implements LayerSelection {
        public Explicit {
            if (layers.length == 0) {
                throw new IllegalArgumentException("select at least one layer");
            }
            layers = layers.clone();
        }

        @Override
        public int[] layers() {
            return layers.clone();
        }

        @Override
        public int[] resolve(int numLayers) {
            return Arrays.stream(layers).map(l -> {
                int resolved = l < 0 ? numLayers + l : l;
                if (resolved < 0 || resolved >= numLayers) {
                    throw new IllegalArgumentException("layer " + l + " is out of range for a model with " + numLayers
                            + " layers (0.." + (numLayers - 1) + ", or -" + numLayers + "..-1 from the end)");
                }
                return resolved;
            }).sorted().distinct().toArray();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Explicit(int[] other) && Arrays.equals(layers, other);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(layers);
        }

        @Override
        public String toString() {
            return "Layers.of" + Arrays.toString(layers);
        }
    }

    /** Layers {@code from} (inclusive) to {@code to} (exclusive). */
    record Range(int from, int to) implements LayerSelection {
        public Range {
            if (from < 0 || to <= from) {
                throw new IllegalArgumentException("layer range [" + from + ", " + to + ") is empty or negative");
            }
        }

        @Override
        public int[] resolve(int numLayers) {
            if (to > numLayers) {
                throw new IllegalArgumentException("layer range [" + from + ", " + to + ") exceeds the model's "
                        + numLayers + " layers");
            }
            return IntStream.range(from, to).toArray();
        }
    }
}
