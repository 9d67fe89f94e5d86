package org.fpwap.callback;

/** Factories for {@link LayerSelection}: {@code Layers.all()}, {@code Layers.of(40, 45)}, {@code Layers.range(0, 8)}. */
public final class Layers {

    private Layers() {}

    /** Every layer of the model. */
    public static LayerSelection all() {
        return new LayerSelection.All();
    }

    /** The given layers; negative indices count from the end (-1 = last). */
    public static LayerSelection of(int... layers) {
        return new LayerSelection.Explicit(layers);
    }

    /** Layers {@code from} (inclusive) to {@code to} (exclusive). */
    public static LayerSelection range(int from, int to) {
        return new LayerSelection.Range(from, to);
    }
}
