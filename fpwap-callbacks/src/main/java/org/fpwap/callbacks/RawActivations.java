package org.fpwap.callbacks;

import static java.util.Objects.requireNonNull;

import java.util.EnumSet;
import java.util.Set;
import org.fpwap.callback.Batch;
import org.fpwap.callback.Callback;
import org.fpwap.callback.CallbackAction;
import org.fpwap.callback.LayerSelection;
import org.fpwap.callback.Store;
import org.fpwap.callback.OutputSize;
import org.fpwap.forward.Hook;

/**
 * Persists activations: the last real token, the mean over real tokens, or every real token, at the
 * selected layers and hooks. Emits stream to disk as microbatches finish (never held whole in memory)
 * and come back in dataset order from {@code Result.activations(layer, hook)}.
 *
 * <pre>{@code RawActivations.at(Layers.of(40, 45)).pool(Pool.LAST).hooks(Hook.RESIDUAL_POST)}</pre>
 *
 * <p>{@link #store(Store)} picks the on-disk form: exact FP32 (default), BF16, or int8 with one FP32 scale
 * per stored vector (quantized on the compute device; see {@link Store}).
 */
public final class RawActivations implements Callback, OutputSize {

    private final LayerSelection layers;
    private final Set<Hook> hooks;
    private final Pool pool;
    private final String name;
    private final Store store;

    private RawActivations(LayerSelection layers, Set<Hook> hooks, Pool pool, String name) {
        this(layers, hooks, pool, name, Store.F32);
    }

    private RawActivations(LayerSelection layers, Set<Hook> hooks, Pool pool, String name, Store store) {
        this.store = requireNonNull(store, "store is null");
        this.layers = requireNonNull(layers, "layers is null");
        this.hooks = Set.copyOf(hooks);
        this.pool = requireNonNull(pool, "pool is null");
        this.name = requireNonNull(name, "name is null");
        if (this.hooks.isEmpty()) {
            throw new IllegalArgumentException("RawActivations needs at least one hook");
        }
    }

    /** Last-token {@code residual_post} activations at {@code layers}. */
    public static RawActivations at(LayerSelection layers) {
        return new RawActivations(layers, EnumSet.of(Hook.RESIDUAL_POST), Pool.LAST, "RawActivations");
    }

    /** The same, pooled by {@code p}. */
    public RawActivations pool(Pool p) {
        return new RawActivations(layers, hooks, p, name, store);
    }

    /** The same, at {@code hs} instead. */
    public RawActivations hooks(Hook... hs) {
        return new RawActivations(layers, Set.of(hs), pool, name, store);
    }

    /** The same, at {@code hs} instead. */
    public RawActivations hooks(Set<Hook> hs) {
        return new RawActivations(layers, hs, pool, name, store);
    }

    /** The same under another name (to run two in one sweep). */
    public RawActivations named(String newName) {
        return new RawActivations(layers, hooks, pool, newName, store);
    }

    /** The same, stored as {@code s} ({@link Store#F32} by default). */
    public RawActivations store(Store s) {
        return new RawActivations(layers, hooks, pool, name, s);
    }

    /** How the activations are stored. */
    public Store store() {
        return store;
    }

    /** How tokens are pooled. */
    public Pool pool() {
        return pool;
    }

    @Override
    public LayerSelection layers() {
        return layers;
    }

    @Override
    public Set<Hook> hooks() {
        return hooks;
    }

    @Override
    public String name() {
        return name;
    }

    /** Stateless, so its checkpoint state is {@link org.fpwap.callback.CallbackState#none()} (the default). */
    @Override
    public boolean stateless() {
        return true;
    }

    @Override
    public String settings() {
        // The store changes the files' bytes, so a resume must not mix stores across layers.
        return "pool=" + pool.wireName() + (store == Store.F32 ? "" : " store=" + store.wireName());
    }

    @Override
    public CallbackAction onBatch(Batch batch) {
        CallbackAction.Emit emit = switch (pool) {
            case LAST -> CallbackAction.Emit.perSample(batch.lastRealToken());
            case MEAN -> CallbackAction.Emit.perSample(batch.meanOverRealTokens());
            case ALL -> CallbackAction.Emit.perToken(batch.activations());
        };
        return emit.stored(store);
    }

    /** One vector of H per sample, or per real token for {@link Pool#ALL}, in this store. */
    @Override
    public Footprint footprint(Extent extent) {
        return (pool == Pool.ALL ? Footprint.perToken(extent.hiddenSize()) : Footprint.perSample(extent.hiddenSize())).stored(store);
    }
}
