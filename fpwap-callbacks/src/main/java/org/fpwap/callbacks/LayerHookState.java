package org.fpwap.callbacks;

import static java.util.Objects.requireNonNull;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fpwap.callback.CallbackState;
import org.fpwap.forward.Hook;

/**
 * The {@link CallbackState} of a callback that keeps one mergeable accumulator per (layer, hook) in
 * progress: its map is written layer by layer in insertion order, restored in place of the current one,
 * and merged accumulator by accumulator (a (layer, hook) only one side has is taken over as is).
 *
 * @param <T> the accumulator ({@link CenteredMoments}, {@link ClassSums})
 */
final class LayerHookState<T> implements CallbackState {

    /** How one accumulator is written, read and merged. */
    interface Codec<T> {
        void write(T value, DataOutput out) throws IOException;

        T read(DataInput in) throws IOException;

        void merge(T into, T other);
    }

    private final Map<Integer, Map<Hook, T>> running;
    private final Codec<T> codec;

    /** A view of {@code running} (the callback's own map, changed in place). */
    LayerHookState(Map<Integer, Map<Hook, T>> running, Codec<T> codec) {
        this.running = requireNonNull(running, "running is null");
        this.codec = requireNonNull(codec, "codec is null");
    }

    @Override
    public void write(DataOutput out) throws IOException {
        out.writeInt(running.size());
        for (Map.Entry<Integer, Map<Hook, T>> layer : running.entrySet()) {
            out.writeInt(layer.getKey());
            out.writeInt(layer.getValue().size());
            for (Map.Entry<Hook, T> hook : layer.getValue().entrySet()) {
                out.writeUTF(hook.getKey().wireName());
                codec.write(hook.getValue(), out);
            }
        }
    }

    @Override
    public void restore(DataInput in) throws IOException {
        running.clear();
        running.putAll(read(in));
    }

    @Override
    public boolean mergeable() {
        return true;
    }

    @Override
    public void merge(DataInput in) throws IOException {
        for (Map.Entry<Integer, Map<Hook, T>> layer : read(in).entrySet()) {
            Map<Hook, T> mine = running.computeIfAbsent(layer.getKey(), l -> new LinkedHashMap<>());
            for (Map.Entry<Hook, T> hook : layer.getValue().entrySet()) {
                T into = mine.get(hook.getKey());
                if (into == null) {
                    mine.put(hook.getKey(), hook.getValue());
                } else {
                    codec.merge(into, hook.getValue());
                }
            }
        }
    }

    private Map<Integer, Map<Hook, T>> read(DataInput in) throws IOException {
        Map<Integer, Map<Hook, T>> out = new LinkedHashMap<>();
        int layers = in.readInt();
        for (int l = 0; l < layers; l++) {
            int layer = in.readInt();
            int hooks = in.readInt();
            Map<Hook, T> atLayer = new LinkedHashMap<>();
            for (int h = 0; h < hooks; h++) {
                String name = in.readUTF();
                Hook hook = Hook.fromWireName(name).orElseThrow(() -> new IOException("unknown hook \"" + name + "\" in a saved state"));
                atLayer.put(hook, codec.read(in));
            }
            out.put(layer, atLayer);
        }
        return out;
    }
}
