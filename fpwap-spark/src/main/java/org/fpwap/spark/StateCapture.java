package org.fpwap.spark;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.fpwap.callback.Artifact;
import org.fpwap.callback.Batch;
import org.fpwap.callback.Callback;
import org.fpwap.callback.CallbackAction;
import org.fpwap.callback.CallbackState;
import org.fpwap.callback.LayerSelection;
import org.fpwap.callback.OutputSize;
import org.fpwap.callback.Phase;
import org.fpwap.callback.SweepInfo;
import org.fpwap.forward.Hook;

/**
 * Wraps a shard's callback and records its {@link CallbackState} bytes before every layer end and before the
 * sweep's end, so that the driver can merge the shards' states and replay those ends itself. Everything else is
 * delegated unchanged, so the shard's sweep behaves exactly as with the bare callback; a callback that declares its
 * {@link OutputSize} is wrapped by {@link Sized}, so the shard's preflight still counts its output.
 */
sealed class StateCapture implements Callback permits StateCapture.Sized {

    private final Callback inner;
    private final List<Integer> layers = new ArrayList<>();
    private final List<byte[]> atLayerEnd = new ArrayList<>();
    private byte[] atSweepEnd = new byte[0];

    private StateCapture(Callback inner) {
        this.inner = inner;
    }

    /** Wraps {@code inner}, keeping its {@link OutputSize} when it has one. */
    static StateCapture of(Callback inner) {
        return inner instanceof OutputSize sized ? new Sized(inner, sized) : new StateCapture(inner);
    }

    /** A wrapped callback that declares what it writes: the footprint is the inner callback's. */
    static final class Sized extends StateCapture implements OutputSize {

        private final OutputSize size;

        private Sized(Callback inner, OutputSize size) {
            super(inner);
            this.size = size;
        }

        @Override
        public Footprint footprint(Extent extent) {
            return size.footprint(extent);
        }
    }

    /** What was recorded. */
    CapturedState captured() {
        return new CapturedState(inner.name(), layers, atLayerEnd, atSweepEnd);
    }

    static byte[] bytes(CallbackState state) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (DataOutputStream data = new DataOutputStream(out)) {
            state.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serialize a callback state: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    private byte[] snapshot() {
        return bytes(inner.state().orElseThrow(() -> new IllegalStateException("callback " + inner.name()
                + " has no CallbackState, so its shards cannot be merged")));
    }

    @Override
    public LayerSelection layers() {
        return inner.layers();
    }

    @Override
    public Set<Hook> hooks() {
        return inner.hooks();
    }

    @Override
    public Phase phase() {
        return inner.phase();
    }

    @Override
    public boolean readsAfterWrites() {
        return inner.readsAfterWrites();
    }

    @Override
    public boolean stateless() {
        return inner.stateless();
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public Optional<CallbackState> state() {
        return inner.state();
    }

    @Override
    public String settings() {
        return inner.settings();
    }

    @Override
    public void onSweepStart(SweepInfo info) {
        inner.onSweepStart(info);
    }

    @Override
    public CallbackAction onBatch(Batch batch) {
        return inner.onBatch(batch);
    }

    @Override
    public List<Artifact> onLayerEnd(int layer) {
        layers.add(layer);
        atLayerEnd.add(snapshot());
        // A shard's artifacts describe only its part of the dataset: the driver makes the real ones.
        inner.onLayerEnd(layer);
        return List.of();
    }

    @Override
    public List<Artifact> onSweepEnd() {
        atSweepEnd = snapshot();
        inner.onSweepEnd();
        return List.of();
    }
}
