package org.fpwap.callbacks;

import static java.util.Objects.requireNonNull;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;
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

    /** Writes one accumulator. */
    @FunctionalInterface
    interface Writer<T> {
        void write(T value, DataOutput out) throws IOException;
    }

    /** Reads one accumulator. */
    @FunctionalInterface
    interface Reader<T> {
        T read(DataInput in) throws IOException;
    }

    private final Map<Integer, Map<Hook, T>> running;
    private final Writer<T> writer;
    private final Reader<T> reader;
    private final BiConsumer<T, T> merger;

    /**
     * A view of {@code running} (the callback's own map, changed in place), its accumulators written by
     * {@code writer}, read by {@code reader} and merged by {@code merger} (which folds its second argument into
     * its first).
     */
    LayerHookState(Map<Integer, Map<Hook, T>> running, Writer<T> writer, Reader<T> reader, BiConsumer<T, T> merger) {
        this.running = requireNonNull(running, "running is null");
        this.writer = requireNonNull(writer, "writer is null");
        this.reader = requireNonNull(reader, "reader is null");
        this.merger = requireNonNull(merger, "merger is null");
    }

    @Override
    public void write(DataOutput out) throws IOException {
        out.writeInt(running.size());
        for (Map.Entry<Integer, Map<Hook, T>> layer : running.entrySet()) {
            out.writeInt(layer.getKey());
            out.writeInt(layer.getValue().size());
            for (Map.Entry<Hook, T> hook : layer.getValue().entrySet()) {
                out.writeUTF(hook.getKey().wireName());
                writer.write(hook.getValue(), out);
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
                    merger.accept(into, hook.getValue());
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
                atLayer.put(hook, reader.read(in));
            }
            out.put(layer, atLayer);
        }
        return out;
    }
}
