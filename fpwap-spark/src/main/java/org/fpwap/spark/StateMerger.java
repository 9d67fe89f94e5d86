package org.fpwap.spark;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fpwap.callback.Callback;
import org.fpwap.callback.CallbackState;
import org.fpwap.callback.SweepInfo;
import org.fpwap.model.ModelConfigReader;

/**
 * Merges the captured states of two disjoint sets of shards with the callbacks' own
 * {@link CallbackState#merge}: a fresh set of callbacks (made where the merge runs, on an executor or the
 * driver) restores the left state and merges the right one, layer end by layer end.
 */
final class StateMerger implements Serializable {

    private final CallbackFactory factory;
    private final String modelDir;
    private final int sampleCount;
    private final long totalTokens;
    private final String fingerprint;
    private transient List<Callback> callbacks;

    StateMerger(CallbackFactory factory, Path modelDir, int sampleCount, long totalTokens, String fingerprint) {
        this.factory = factory;
        this.modelDir = modelDir.toString();
        this.sampleCount = sampleCount;
        this.totalTokens = totalTokens;
        this.fingerprint = fingerprint;
    }

    /** Fresh callbacks, started as a whole-dataset sweep would start them. */
    List<Callback> startedCallbacks() {
        List<Callback> fresh = factory.create();
        SweepInfo info = new SweepInfo(ModelConfigReader.read(Path.of(modelDir)), sampleCount, totalTokens, fingerprint);
        fresh.forEach(cb -> cb.onSweepStart(info));
        return fresh;
    }

    /** {@code left} and {@code right} as one state per callback. */
    List<CapturedState> merge(List<CapturedState> left, List<CapturedState> right) {
        if (callbacks == null) {
            callbacks = startedCallbacks();
        }
        List<CapturedState> out = new ArrayList<>(left.size());
        for (int i = 0; i < left.size(); i++) {
            CapturedState a = left.get(i);
            CapturedState b = right.get(i);
            if (!a.layers().equals(b.layers())) {
                throw new IllegalStateException("callback " + a.callback() + " ended layers " + a.layers() + " on one shard and "
                        + b.layers() + " on another; every shard must run the same layers");
            }
            CallbackState state = callbacks.get(i).state().orElseThrow();
            List<byte[]> layers = new ArrayList<>();
            for (int k = 0; k < a.layers().size(); k++) {
                layers.add(merged(state, a.atLayerEnd().get(k), b.atLayerEnd().get(k), a.callback()));
            }
            out.add(new CapturedState(a.callback(), a.layers(), layers, merged(state, a.atSweepEnd(), b.atSweepEnd(), a.callback())));
        }
        return out;
    }

    private static byte[] merged(CallbackState state, byte[] left, byte[] right, String callback) {
        try {
            state.restore(in(left));
            state.merge(in(right));
        } catch (IOException e) {
            throw new UncheckedIOException("callback " + callback + ": cannot merge shard states: " + e.getMessage(), e);
        }
        return StateCapture.bytes(state);
    }

    static DataInputStream in(byte[] bytes) {
        return new DataInputStream(new ByteArrayInputStream(bytes));
    }
}
