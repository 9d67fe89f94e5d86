package org.fpwap.callbacks;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import org.fpwap.callback.Artifact;
import org.fpwap.callback.ArtifactTensor;
import org.fpwap.callback.Batch;
import org.fpwap.callback.Callback;
import org.fpwap.callback.CallbackAction;
import org.fpwap.callback.CallbackState;
import org.fpwap.callback.LayerSelection;
import org.fpwap.callback.OutputSize;
import org.fpwap.callback.SweepInfo;
import org.fpwap.forward.Hook;

/**
 * Per-class means of the pooled activation (last real token by default, or the mean over real tokens) at
 * each selected layer and hook, accumulated as FP64 sums in one pass. A sample's class is its dataset
 * {@code label} unless a {@link Labeller} is given; samples without one are skipped and counted.
 *
 * <p>Produces one artifact of kind {@value #KIND} per (layer, hook): {@code classes} I64 {@code [C]}
 * ascending, {@code counts} I64 {@code [C]}, {@code means} F32 {@code [C, H]} and, when classes 0 and 1 both
 * occur, {@code direction} F32 {@code [H]} = mean(class 1) − mean(class 0) (computed in FP64); metadata
 * {@code n_samples} (labelled), {@code unlabelled}, {@code direction} ({@code mean(1) - mean(0)} or
 * {@code absent}), {@code pool}, {@code callback}, {@code model_fingerprint}.
 *
 * <pre>{@code DiffOfMeans.at(Layers.of(12)).pool(Pool.MEAN)}</pre>
 */
public final class DiffOfMeans implements Callback, OutputSize {

    /** The artifact kind. */
    public static final String KIND = "diff_of_means";

    /**
     * A sample's class. The callback sees only what a {@link Batch} gives for a row: the dataset sample id
     * and the dataset label (not the token ids).
     */
    @FunctionalInterface
    public interface Labeller {
        /** The class of sample {@code sampleId}, whose dataset label is {@code datasetLabel}; empty to skip it. */
        OptionalLong label(long sampleId, OptionalLong datasetLabel);
    }

    private static final Labeller DATASET_LABEL = (id, label) -> label;

    private final LayerSelection layers;
    private final Set<Hook> hooks;
    private final Pool pool;
    private final Labeller labeller;
    private final String name;

    private final Map<Integer, Map<Hook, ClassSums>> running = new LinkedHashMap<>();
    private String fingerprint = "";

    private DiffOfMeans(LayerSelection layers, Set<Hook> hooks, Pool pool, Labeller labeller, String name) {
        this.layers = requireNonNull(layers, "layers is null");
        this.hooks = Set.copyOf(hooks);
        this.pool = requireNonNull(pool, "pool is null");
        this.labeller = requireNonNull(labeller, "labeller is null");
        this.name = requireNonNull(name, "name is null");
        if (this.hooks.isEmpty()) {
            throw new IllegalArgumentException("DiffOfMeans needs at least one hook");
        }
        if (pool == Pool.ALL) {
            throw new IllegalArgumentException("DiffOfMeans averages one vector per sample: pool LAST or MEAN, not ALL");
        }
    }

    /** Class means of the last real token's {@code residual_post} at {@code layers}, classes from the dataset labels. */
    public static DiffOfMeans at(LayerSelection layers) {
        return new DiffOfMeans(layers, EnumSet.of(Hook.RESIDUAL_POST), Pool.LAST, DATASET_LABEL, "DiffOfMeans");
    }

    /** The same, pooled by {@code p} ({@link Pool#LAST} or {@link Pool#MEAN}). */
    public DiffOfMeans pool(Pool p) {
        return new DiffOfMeans(layers, hooks, p, labeller, name);
    }

    /** The same, with classes given by {@code l} instead of the dataset labels. */
    public DiffOfMeans labels(Labeller l) {
        return new DiffOfMeans(layers, hooks, pool, l, name);
    }

    /** The same, at {@code hs} instead. */
    public DiffOfMeans hooks(Hook... hs) {
        return new DiffOfMeans(layers, Set.of(hs), pool, labeller, name);
    }

    /** The same, at {@code hs} instead. */
    public DiffOfMeans hooks(Set<Hook> hs) {
        return new DiffOfMeans(layers, hs, pool, labeller, name);
    }

    /** The same under another name (to run two in one sweep). */
    public DiffOfMeans named(String newName) {
        return new DiffOfMeans(layers, hooks, pool, labeller, newName);
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

    @Override
    public void onSweepStart(SweepInfo info) {
        fingerprint = info.modelFingerprint();
        running.clear();
    }

    @Override
    public CallbackAction onBatch(Batch batch) {
        PooledRows rows = PooledRows.of(batch, pool);
        ClassSums sums = running.computeIfAbsent(batch.layer(), l -> new LinkedHashMap<>())
                .computeIfAbsent(batch.hook(), h -> ClassSums.empty(rows.width()));
        for (int r = 0; r < rows.count(); r++) {
            int b = rows.row()[r];
            OptionalLong label = labeller.label(batch.sampleId(b), batch.label(b));
            if (label == null || label.isEmpty()) {
                sums.skip();
            } else {
                sums.add(label.getAsLong(), rows.values(), r * rows.width());
            }
        }
        return CallbackAction.nothing();
    }

    /**
     * The FP64 class sums of the layers in progress; merging two shards' states adds sums and counts per
     * (layer, hook). A custom {@link Labeller} is not part of the state: a resumed run must pass the same one.
     */
    @Override
    public Optional<CallbackState> state() {
        return Optional.of(new LayerHookState<>(running, ClassSums::writeTo, ClassSums::readFrom, ClassSums::merge));
    }

    @Override
    public String settings() {
        return "pool=" + pool.wireName() + (labeller == DATASET_LABEL ? "" : " labeller=" + labeller.getClass().getName());
    }

    /** A copy of the running class sums at ({@code layer}, {@code hook}), while that layer is in progress. */
    public Optional<ClassSums> sums(int layer, Hook hook) {
        return Optional.ofNullable(running.getOrDefault(layer, Map.of()).get(hook))
                .map(s -> ClassSums.empty(s.dim()).merge(s));
    }

    @Override
    public List<Artifact> onLayerEnd(int layer) {
        Map<Hook, ClassSums> atLayer = running.remove(layer);
        List<Artifact> out = new ArrayList<>();
        if (atLayer == null) {
            return out;
        }
        for (Hook hook : Hook.values()) {
            ClassSums s = atLayer.get(hook);
            if (s != null) {
                out.add(artifact(layer, hook, s));
            }
        }
        return out;
    }

    private Artifact artifact(int layer, Hook hook, ClassSums s) {
        int h = s.dim();
        long[] classes = s.classes();
        long[] counts = new long[classes.length];
        float[] means = new float[classes.length * h];
        for (int c = 0; c < classes.length; c++) {
            counts[c] = s.count(classes[c]);
            double[] m = s.mean(classes[c]);
            for (int j = 0; j < h; j++) {
                means[c * h + j] = (float) m[j];
            }
        }
        Map<String, ArtifactTensor> tensors = new LinkedHashMap<>();
        tensors.put("classes", ArtifactTensor.i64(new long[] {classes.length}, classes));
        tensors.put("counts", ArtifactTensor.i64(new long[] {classes.length}, counts));
        tensors.put("means", ArtifactTensor.f32(new long[] {classes.length, h}, means));
        boolean both = s.count(0) > 0 && s.count(1) > 0;
        if (both) {
            double[] m0 = s.mean(0);
            double[] m1 = s.mean(1);
            float[] direction = new float[h];
            for (int j = 0; j < h; j++) {
                direction[j] = (float) (m1[j] - m0[j]);
            }
            tensors.put("direction", ArtifactTensor.f32(new long[] {h}, direction));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("n_samples", Long.toString(s.labelled()));
        metadata.put("unlabelled", Long.toString(s.unlabelled()));
        metadata.put("direction", both ? "mean(1) - mean(0)" : "absent: needs samples of classes 0 and 1");
        metadata.put("pool", pool.wireName());
        metadata.put("callback", name);
        metadata.put("model_fingerprint", fingerprint);
        return new Artifact(KIND, OptionalInt.of(layer), Optional.of(hook), tensors, metadata);
    }

    /** {@code classes} and {@code counts} (I64), {@code means} [classes, H] and {@code direction} [H] (F32). */
    @Override
    public Footprint footprint(Extent extent) {
        long classes = extent.classes();
        return Footprint.artifacts(classes * 2 * Long.BYTES + (classes + 1) * extent.hiddenSize() * Float.BYTES);
    }
}
