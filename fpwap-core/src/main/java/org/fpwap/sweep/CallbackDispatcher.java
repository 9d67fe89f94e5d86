package org.fpwap.sweep;

import static java.util.Objects.requireNonNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.fpwap.callback.Batch;
import org.fpwap.callback.Callback;
import org.fpwap.callback.CallbackAction;
import org.fpwap.callback.Phase;
import org.fpwap.dataset.DatasetSummary;
import org.fpwap.forward.Hook;
import org.fpwap.forward.ExpertRouting;
import org.fpwap.forward.HookHandler;
import org.fpwap.forward.Microbatch;
import org.fpwap.profile.ProfileRecorder;
import org.fpwap.callback.Store;
import org.fpwap.result.EmitEncoder;
import org.fpwap.result.EmitStream;
import org.fpwap.result.EmitWriter;
import org.fpwap.result.EncodedEmit;
import org.fpwap.result.NonFiniteEmitException;

/**
 * Calls the callbacks subscribed to each (layer, hook), in the documented order: WRITE callbacks in
 * registration order, each seeing the previous write; then READ callbacks, which see the activation as
 * it was before any write unless they read after writes. Checks write-backs (shape, finite values at real
 * tokens) and stores emits in dataset order.
 */
final class CallbackDispatcher implements AutoCloseable {

    private final List<Subscription> subscriptions;
    private final DatasetSummary dataset;
    private final Path emitDir;
    private final ProfileRecorder profile;
    private final boolean storeEmits;
    private final DigestBook digests;
    private final Map<EmitStream, EmitWriter> writers = new LinkedHashMap<>();
    /** Emit files already made permanent (by {@link #commitLayer}, or by the run a resume continues). */
    private final Map<EmitStream, Path> committed = new LinkedHashMap<>();

    /**
     * @param subscriptions each callback with the layers it resolved to
     * @param emitDir where emit files are written
     * @param storeEmits true for the sweep (every callback runs, emits are stored); false for verify's naive
     *     pass (WRITE callbacks and stateless READ callbacks run, nothing is stored)
     * @param digests where stateless callbacks' emits are digested (recorded when storing, compared when not);
     *     null when not verifying
     */
    CallbackDispatcher(List<Subscription> subscriptions, DatasetSummary dataset, Path emitDir, ProfileRecorder profile,
            boolean storeEmits, DigestBook digests) {
        this.subscriptions = List.copyOf(subscriptions);
        this.dataset = requireNonNull(dataset, "dataset is null");
        this.emitDir = requireNonNull(emitDir, "emitDir is null");
        this.profile = requireNonNull(profile, "profile is null");
        this.storeEmits = storeEmits;
        this.digests = digests;
    }

    /** The hook handler for microbatch {@code mb}. */
    HookHandler handler(Microbatch mb) {
        OptionalLong[] labels = new OptionalLong[mb.size()];
        for (int b = 0; b < labels.length; b++) {
            labels[b] = dataset.label(Math.toIntExact(mb.sampleId(b)));
        }
        return new HookHandler() {
            private final java.util.Map<Integer, ExpertRouting> routing = new java.util.HashMap<>();

            @Override
            public NDArray at(int layer, Hook hook, NDArray activation) {
                ExpertRouting r = hook == Hook.MLP_OUT || hook == Hook.RESIDUAL_POST ? routing.get(layer) : null;
                return dispatch(layer, hook, activation, mb, labels, r);
            }

            @Override
            public void routed(int layer, ExpertRouting r) {
                routing.put(layer, r);
            }
        };
    }

    private NDArray dispatch(int layer, Hook hook, NDArray original, Microbatch mb, OptionalLong[] labels,
            ExpertRouting routing) {
        long start = System.nanoTime();
        NDArray current = original;
        for (Subscription s : subscriptions) {
            if (s.callback().phase() == Phase.WRITE && s.at(layer, hook)) {
                CallbackAction action = s.callback().onBatch(new Batch(layer, hook, current, mb, labels, routing));
                current = apply(s.callback(), layer, hook, action, current, mb);
            }
        }
        for (Subscription s : subscriptions) {
            Callback cb = s.callback();
            if (cb.phase() == Phase.READ && s.at(layer, hook) && (storeEmits || digests != null && cb.stateless())) {
                NDArray seen = cb.readsAfterWrites() ? current : original;
                CallbackAction action = cb.onBatch(new Batch(layer, hook, seen, mb, labels, routing));
                if (action instanceof CallbackAction.WriteBack) {
                    throw new CallbackException(cb.name() + " (a READ callback) returned a WriteBack at layer " + layer
                            + " hook " + hook + "; declare phase() WRITE to replace activations");
                }
                apply(cb, layer, hook, action, seen, mb);
            }
        }
        profile.callbacks(layer, (System.nanoTime() - start) / 1e9);
        return current;
    }

    private NDArray apply(Callback cb, int layer, Hook hook, CallbackAction action, NDArray current, Microbatch mb) {
        return switch (action) {
            case null -> throw new CallbackException(cb.name() + " returned null at layer " + layer + " hook " + hook
                    + "; return CallbackAction.nothing() instead");
            case CallbackAction.Nothing n -> current;
            case CallbackAction.Emit emit -> {
                EncodedEmit encoded = EmitEncoder.encode(emit.values(), storeEmits ? emit.store() : Store.F32);
                if (storeEmits) {
                    store(cb, layer, hook, emit, encoded, mb);
                }
                if (digests != null && cb.stateless()) {
                    float[] values = encoded instanceof EncodedEmit.Floats f ? f.values() : emit.values().toFloatArray();
                    Shape shape = emit.values().getShape();
                    digests.emitted(cb.name(), layer, hook, values, (int) shape.get(shape.dimension() - 1), emit.perToken(),
                            mb, !storeEmits);
                }
                yield current;
            }
            case CallbackAction.WriteBack wb -> checkedWriteBack(cb, layer, hook, wb.activations(), current, mb);
        };
    }

    private static NDArray checkedWriteBack(Callback cb, int layer, Hook hook, NDArray replacement, NDArray current,
            Microbatch mb) {
        String where = cb.name() + " at layer " + layer + " hook " + hook;
        if (!replacement.getShape().equals(current.getShape())) {
            throw new CallbackException(where + " wrote back shape " + replacement.getShape() + "; the activation is "
                    + current.getShape());
        }
        // The common case, everything finite, is settled by one reduction on the device; only a write-back with
        // a NaN or infinity somewhere is copied to the host to say where, or to restore its pads.
        if (!replacement.isNaN().logicalOr(replacement.isInfinite()).any().getBoolean()) {
            return replacement;
        }
        float[] values = replacement.toFloatArray();
        int h = (int) current.getShape().get(2);
        for (int b = 0; b < mb.size(); b++) {
            int from = (b * mb.width() + mb.offset(b)) * h;
            int to = from + mb.length(b) * h;
            for (int i = from; i < to; i++) {
                if (!Float.isFinite(values[i])) {
                    throw new CallbackException(where + " wrote back " + values[i] + " for sample " + mb.sampleId(b)
                            + " token " + ((i - from) / h) + " dimension " + ((i - from) % h) + "; write-backs must be finite");
                }
            }
        }
        return finitePads(replacement, values, current, mb, h);
    }

    /**
     * Pads may hold anything, but a NaN or infinity there would reach real tokens through attention (the
     * additive mask gives a pad key weight 0, and 0 × NaN is NaN). If the write-back has a non-finite value
     * at a pad, its pads are replaced by the activation's own pad values; otherwise it is used as is.
     */
    private static NDArray finitePads(NDArray replacement, float[] values, NDArray current, Microbatch mb, int h) {
        boolean nonFinite = false;
        for (int b = 0; b < mb.size() && !nonFinite; b++) {
            int rowStart = b * mb.width() * h;
            int realFrom = rowStart + mb.offset(b) * h;
            int realTo = realFrom + mb.length(b) * h;
            nonFinite = !allFinite(values, rowStart, realFrom) || !allFinite(values, realTo, rowStart + mb.width() * h);
        }
        if (!nonFinite) {
            return replacement;
        }
        float[] own = current.toFloatArray();
        for (int b = 0; b < mb.size(); b++) {
            int from = (b * mb.width() + mb.offset(b)) * h;
            System.arraycopy(values, from, own, from, mb.length(b) * h);
        }
        return replacement.getManager().create(own, replacement.getShape());
    }

    private static boolean allFinite(float[] values, int from, int to) {
        for (int i = from; i < to; i++) {
            if (!Float.isFinite(values[i])) {
                return false;
            }
        }
        return true;
    }

    private void store(Callback cb, int layer, Hook hook, CallbackAction.Emit emit, EncodedEmit values, Microbatch mb) {
        Shape shape = emit.values().getShape();
        String where = cb.name() + " at layer " + layer + " hook " + hook;
        if (shape.get(0) != mb.size() || emit.perToken() && shape.get(1) != mb.width()) {
            throw new CallbackException(where + " emitted shape " + shape + "; expected [" + mb.size()
                    + (emit.perToken() ? ", " + mb.width() : "") + ", W] for this microbatch");
        }
        int width = (int) shape.get(shape.dimension() - 1);
        EmitStream key = new EmitStream(cb.name(), layer, hook);
        EmitWriter writer = writers.get(key);
        if (writer == null) {
            writer = EmitWriter.create(emitDir.resolve(fileName(key)), dataset.lengths(), width, emit.perToken(), emit.store(),
                    Map.of("callback", cb.name(), "layer", Integer.toString(layer), "hook", hook.wireName()));
            writers.put(key, writer);
        } else if (writer.store() != emit.store()) {
            throw new CallbackException(where + " emitted for " + emit.store().wireName() + " storage after emitting for "
                    + writer.store().wireName());
        } else if (writer.width() != width || writer.perToken() != emit.perToken()) {
            throw new CallbackException(where + " emitted " + (emit.perToken() ? "per-token" : "per-sample") + " width " + width
                    + " after emitting " + (writer.perToken() ? "per-token" : "per-sample") + " width " + writer.width());
        }
        long before = writer.bytesWritten();
        for (int b = 0; b < mb.size(); b++) {
            int firstVector = emit.perToken() ? b * mb.width() + mb.offset(b) : b;
            try {
                writer.put(Math.toIntExact(mb.sampleId(b)), values, firstVector);
            } catch (NonFiniteEmitException e) {
                throw new CallbackException(where + ": " + e.getMessage());
            }
        }
        profile.emitted(writer.bytesWritten() - before);
    }

    static String fileName(EmitStream key) {
        return key.callback() + ".layer-" + key.layer() + "." + key.hook().wireName() + ".safetensors";
    }

    /** Takes over emit files an earlier run committed (a resume), as if this dispatcher had written them. */
    void adopt(Map<EmitStream, Path> files) {
        committed.putAll(files);
    }

    /**
     * Commits the emit files of {@code layer} (forced to storage and moved into place, see
     * {@code MappedSafetensorsWriter.commit}): a layer's streams are complete at its end. Returns every file
     * committed so far.
     */
    Map<EmitStream, Path> commitLayer(int layer) {
        for (var it = writers.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (e.getKey().layer() == layer) {
                committed.put(e.getKey(), e.getValue().commit());
                e.getValue().close();
                it.remove();
            }
        }
        return new LinkedHashMap<>(committed);
    }

    /** Commits every emit file; returns where each stream landed. */
    Map<EmitStream, Path> commit() {
        Map<EmitStream, Path> paths = new LinkedHashMap<>(committed);
        writers.forEach((key, writer) -> paths.put(key, writer.commit()));
        return paths;
    }

    /** Discards uncommitted emit files. */
    @Override
    public void close() {
        List<RuntimeException> failures = new ArrayList<>();
        for (EmitWriter w : writers.values()) {
            try {
                w.close();
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        if (!failures.isEmpty()) {
            throw failures.getFirst();
        }
    }
}
