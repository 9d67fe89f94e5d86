package org.fpwap.model;

import com.google.gson.JsonElement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A config's per-layer attention kinds: transformers 5.x and late 4.x write {@code layer_types}
 * ({@code "full_attention"} / {@code "sliding_attention"}) for every layer; older configs imply them from
 * a pattern, which each family reader supplies.
 */
public final class LayerTypes {

    /** The two attention kinds a layer type names. */
    public enum Kind { FULL, SLIDING }

    private LayerTypes() {}

    /** The {@code layer_types} list when the config has one (checked: one known entry per layer). */
    public static Optional<List<Kind>> read(ConfigFields c, int layers) {
        JsonElement e = c.raw("layer_types");
        if (e == null) {
            return Optional.empty();
        }
        if (!e.isJsonArray() || e.getAsJsonArray().size() != layers) {
            throw c.error("layer_types must be a list of " + layers + " entries (one per layer), got " + e);
        }
        List<Kind> kinds = new ArrayList<>(layers);
        for (JsonElement t : e.getAsJsonArray()) {
            String name = t.isJsonPrimitive() ? t.getAsString() : String.valueOf(t);
            kinds.add(switch (name) {
                case "full_attention" -> Kind.FULL;
                case "sliding_attention" -> Kind.SLIDING;
                default -> throw c.error("layer_types entry \"" + name
                        + "\" is not supported (supported: full_attention, sliding_attention)");
            });
        }
        return Optional.of(List.copyOf(kinds));
    }
}
