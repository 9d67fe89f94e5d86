package org.fpwap.callbacks;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
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
 * The top-{@code k} principal components of the activations at each selected layer and hook, in one pass
 * over the dataset: each microbatch's vectors are reduced to FP64 {@link CenteredMoments} and merged into
 * the layer's running moments; at the layer's end the sample covariance is eigendecomposed
 * ({@link PcaFit}). The input is the pooled vector per sample (last real token by default, or the mean
 * over real tokens) or every real token ({@link Pool#ALL}).
 *
 * <p>Produces one artifact of kind {@value #KIND} per (layer, hook): {@code components} F32 {@code [k, H]}
 * (unit rows, largest-magnitude coordinate positive), {@code explained_variance} F32 {@code [k]}
 * (eigenvalues of the sample covariance, denominator n − 1, as sklearn), {@code mean} F32 {@code [H]} and
 * {@code n_samples} I64 {@code [1]}; metadata {@code n_samples}, {@code k}, {@code input},
 * {@code callback}, {@code model_fingerprint} (plus kind, layer and hook).
 *
 * <pre>{@code IncrementalPCA.at(Layers.of(20)).components(16).input(Pool.MEAN)}</pre>
 */
public final class IncrementalPCA implements Callback, OutputSize {

    /** The artifact kind. */
    public static final String KIND = "pca";

    private final LayerSelection layers;
    private final Set<Hook> hooks;
    private final int k;
    private final Pool input;
    private final String name;

    private final Map<Integer, Map<Hook, CenteredMoments>> running = new LinkedHashMap<>();
    private String fingerprint = "";
    private int hidden;

    private IncrementalPCA(LayerSelection layers, Set<Hook> hooks, int k, Pool input, String name) {
        this.layers = requireNonNull(layers, "layers is null");
        this.hooks = Set.copyOf(hooks);
        this.input = requireNonNull(input, "input is null");
        this.name = requireNonNull(name, "name is null");
        if (this.hooks.isEmpty()) {
            throw new IllegalArgumentException("IncrementalPCA needs at least one hook");
        }
        if (k < 1) {
            throw new IllegalArgumentException("IncrementalPCA needs at least one component, got k=" + k);
        }
        this.k = k;
    }

    /** 8 components of the last real token's {@code residual_post} at {@code layers}. */
    public static IncrementalPCA at(LayerSelection layers) {
        return new IncrementalPCA(layers, EnumSet.of(Hook.RESIDUAL_POST), 8, Pool.LAST, "IncrementalPCA");
    }

    /** The same, keeping the top {@code count} components (at most H, checked at sweep start). */
    public IncrementalPCA components(int count) {
        return new IncrementalPCA(layers, hooks, count, input, name);
    }

    /** The same, on vectors pooled by {@code p} ({@link Pool#ALL}: every real token is a sample). */
    public IncrementalPCA input(Pool p) {
        return new IncrementalPCA(layers, hooks, k, p, name);
    }

    /** The same, at {@code hs} instead. */
    public IncrementalPCA hooks(Hook... hs) {
        return new IncrementalPCA(layers, Set.of(hs), k, input, name);
    }

    /** The same, at {@code hs} instead. */
    public IncrementalPCA hooks(Set<Hook> hs) {
        return new IncrementalPCA(layers, hs, k, input, name);
    }

    /** The same under another name (to run two in one sweep). */
    public IncrementalPCA named(String newName) {
        return new IncrementalPCA(layers, hooks, k, input, newName);
    }

    /** Components kept. */
    public int components() {
        return k;
    }

    /** How vectors are pooled. */
    public Pool input() {
        return input;
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
        hidden = info.model().hiddenSize();
        if (k > hidden) {
            throw new IllegalArgumentException(name + ": k=" + k + " components requested but the model's hidden size is "
                    + hidden + "; k must be at most H");
        }
        fingerprint = info.modelFingerprint();
        running.clear();
    }

    @Override
    public CallbackAction onBatch(Batch batch) {
        PooledRows rows = PooledRows.of(batch, input);
        running.computeIfAbsent(batch.layer(), l -> new LinkedHashMap<>())
                .computeIfAbsent(batch.hook(), h -> CenteredMoments.empty(rows.width()))
                .add(rows.values(), rows.count());
        return CallbackAction.nothing();
    }

    /** The FP64 moments of the layers in progress; merging two shards' states is Chan's update per (layer, hook). */
    @Override
    public Optional<CallbackState> state() {
        return Optional.of(new LayerHookState<>(running, CenteredMoments::writeTo, CenteredMoments::readFrom, CenteredMoments::merge));
    }

    @Override
    public String settings() {
        return "k=" + k + " input=" + input.wireName();
    }

    /** A copy of the running moments at ({@code layer}, {@code hook}), while that layer is in progress. */
    public Optional<CenteredMoments> moments(int layer, Hook hook) {
        return Optional.ofNullable(running.getOrDefault(layer, Map.of()).get(hook)).map(CenteredMoments::copy);
    }

    @Override
    public List<Artifact> onLayerEnd(int layer) {
        Map<Hook, CenteredMoments> atLayer = running.remove(layer);
        List<Artifact> out = new ArrayList<>();
        if (atLayer == null) {
            return out;
        }
        for (Hook hook : Hook.values()) {
            CenteredMoments m = atLayer.get(hook);
            if (m == null) {
                continue;
            }
            if (m.count() < 2) {
                throw new IllegalStateException(name + " at layer " + layer + " hook " + hook + ": PCA needs at least 2 "
                        + (input == Pool.ALL ? "tokens" : "samples") + ", saw " + m.count());
            }
            out.add(artifact(layer, hook, PcaFit.of(m, k)));
        }
        return out;
    }

    private Artifact artifact(int layer, Hook hook, PcaFit fit) {
        int h = fit.mean().length;
        float[] components = new float[k * h];
        double[][] rows = fit.components();
        for (int c = 0; c < k; c++) {
            for (int j = 0; j < h; j++) {
                components[c * h + j] = (float) rows[c][j];
            }
        }
        Map<String, ArtifactTensor> tensors = new LinkedHashMap<>();
        tensors.put("components", ArtifactTensor.f32(new long[] {k, h}, components));
        tensors.put("explained_variance", ArtifactTensor.f32(new long[] {k}, toFloat(fit.explainedVariance())));
        tensors.put("mean", ArtifactTensor.f32(new long[] {h}, toFloat(fit.mean())));
        tensors.put("n_samples", ArtifactTensor.i64(new long[] {1}, new long[] {fit.samples()}));
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("n_samples", Long.toString(fit.samples()));
        metadata.put("k", Integer.toString(k));
        metadata.put("input", input.wireName());
        metadata.put("callback", name);
        metadata.put("model_fingerprint", fingerprint);
        return new Artifact(KIND, OptionalInt.of(layer), Optional.of(hook), tensors, metadata);
    }

    static float[] toFloat(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }

    /** {@code components} [k, H], {@code explained_variance} [k], {@code mean} [H] (F32) and {@code n_samples}. */
    @Override
    public Footprint footprint(Extent extent) {
        return Footprint.artifacts(((long) k * extent.hiddenSize() + k + extent.hiddenSize()) * Float.BYTES + Long.BYTES);
    }
}
