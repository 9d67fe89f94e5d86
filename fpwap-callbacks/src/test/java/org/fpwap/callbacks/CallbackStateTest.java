package org.fpwap.callbacks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import org.fpwap.callback.Artifact;
import org.fpwap.callback.ArtifactTensor;
import org.fpwap.callback.Batch;
import org.fpwap.callback.Callback;
import org.fpwap.callback.CallbackAction;
import org.fpwap.callback.CallbackState;
import org.fpwap.callback.LayerSelection;
import org.fpwap.callback.Layers;
import org.fpwap.callback.SweepInfo;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.Sample;
import org.fpwap.forward.Hook;
import org.fpwap.model.ModelConfigReader;
import org.fpwap.sweep.Sweep;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built-ins' {@link CallbackState}: a state written mid-layer and restored gives back the accumulators
 * bit for bit; the states of two data-parallel shards (first and second half of a dataset, each its own
 * sweep) merged give the PCA and class means of the whole dataset's sweep (to FP64 summation order);
 * damaged bytes are refused.
 */
class CallbackStateTest {

    @TempDir
    static Path tmp;

    private static Path model;
    private static List<Sample> samples;

    @BeforeAll
    static void makeModelAndSamples() {
        model = Reference.model(tmp.resolve("model"));
        Random random = new Random(5);
        samples = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            int[] tokens = random.ints(1 + random.nextInt(9), 0, 128).toArray();
            samples.add(new Sample(i, tokens, OptionalLong.of(i % 3 == 2 ? 1 : 0)));
        }
    }

    /** Samples [from, to) renumbered from 0, as a shard's own dataset. */
    private static Dataset shard(int from, int to) {
        List<Sample> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add(new Sample(i - from, samples.get(i).tokens(), samples.get(i).label()));
        }
        return Dataset.of(out);
    }

    /** Forwards to a callback and keeps its state bytes as they were just before layer {@code layer} ended. */
    private static final class Snapshot implements Callback {
        private final Callback inner;
        private final int layer;
        private byte[] state;

        Snapshot(Callback inner, int layer) {
            this.inner = inner;
            this.layer = layer;
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
        public String name() {
            return inner.name();
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
        public List<Artifact> onLayerEnd(int l) {
            if (l == layer) {
                state = bytes(inner.state().orElseThrow());
            }
            return inner.onLayerEnd(l);
        }
    }

    private static byte[] bytes(CallbackState s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (DataOutputStream data = new DataOutputStream(out)) {
            s.write(data);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return out.toByteArray();
    }

    private static DataInputStream in(byte[] b) {
        return new DataInputStream(new ByteArrayInputStream(b));
    }

    /** Runs {@code cb} over {@code data} one prompt per microbatch (so every shard computes the same bits per prompt). */
    private static List<Artifact> sweep(Dataset data, Callback cb) {
        try (Sweep sweep = Sweep.builder().model(model).dataset(data).microbatch(1).workDir(tmp.resolve("w" + System.nanoTime()))
                .callbacks(cb).build()) {
            return sweep.run().artifacts();
        }
    }

    private static SweepInfo info() {
        return new SweepInfo(ModelConfigReader.read(model), samples.size(), 0, "test");
    }

    private static float[] f32(Artifact a, String name) {
        return ((ArtifactTensor.F32) a.tensor(name)).data();
    }

    private static void assertClose(float[] expected, float[] actual, double relative, String what) {
        assertEquals(expected.length, actual.length, what);
        double scale = 0;
        for (float v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], relative * scale, what + " [" + i + "]");
        }
    }

    @Test
    void mergingTwoShardsPcaStatesGivesTheWholeDatasetsPca() throws IOException {
        IncrementalPCA pca = IncrementalPCA.at(Layers.of(1)).components(3).hooks(Hook.RESIDUAL_POST, Hook.MLP_OUT);
        Snapshot first = new Snapshot(pca, 1);
        sweep(shard(0, 12), first);
        IncrementalPCA pca2 = IncrementalPCA.at(Layers.of(1)).components(3).hooks(Hook.RESIDUAL_POST, Hook.MLP_OUT);
        Snapshot second = new Snapshot(pca2, 1);
        sweep(shard(12, 30), second);
        List<Artifact> whole = sweep(shard(0, 30), IncrementalPCA.at(Layers.of(1)).components(3).hooks(Hook.RESIDUAL_POST, Hook.MLP_OUT));

        IncrementalPCA merged = IncrementalPCA.at(Layers.of(1)).components(3).hooks(Hook.RESIDUAL_POST, Hook.MLP_OUT);
        merged.onSweepStart(info());
        CallbackState state = merged.state().orElseThrow();
        assertTrue(state.mergeable());
        state.restore(in(first.state));
        state.merge(in(second.state));
        List<Artifact> fromShards = merged.onLayerEnd(1);
        assertEquals(2, fromShards.size());
        for (int i = 0; i < 2; i++) {
            Artifact w = whole.get(i);
            Artifact m = fromShards.get(i);
            assertEquals(w.hook(), m.hook());
            assertArrayEquals(((ArtifactTensor.I64) w.tensor("n_samples")).data(), ((ArtifactTensor.I64) m.tensor("n_samples")).data());
            assertEquals(30, ((ArtifactTensor.I64) m.tensor("n_samples")).data()[0]);
            assertClose(f32(w, "mean"), f32(m, "mean"), 1e-6, "mean " + m.hook());
            assertClose(f32(w, "explained_variance"), f32(m, "explained_variance"), 1e-5, "variance " + m.hook());
            assertClose(f32(w, "components"), f32(m, "components"), 1e-4, "components " + m.hook());
        }
    }

    @Test
    void mergingTwoShardsClassSumsGivesTheWholeDatasetsClassMeans() throws IOException {
        Snapshot first = new Snapshot(DiffOfMeans.at(Layers.of(2)), 2);
        sweep(shard(0, 16), first);
        Snapshot second = new Snapshot(DiffOfMeans.at(Layers.of(2)), 2);
        sweep(shard(16, 30), second);
        Artifact whole = sweep(shard(0, 30), DiffOfMeans.at(Layers.of(2))).getFirst();

        DiffOfMeans merged = DiffOfMeans.at(Layers.of(2));
        merged.onSweepStart(info());
        merged.state().orElseThrow().restore(in(first.state));
        merged.state().orElseThrow().merge(in(second.state));
        Artifact m = merged.onLayerEnd(2).getFirst();
        assertArrayEquals(((ArtifactTensor.I64) whole.tensor("counts")).data(), ((ArtifactTensor.I64) m.tensor("counts")).data());
        assertArrayEquals(new long[] {20, 10}, ((ArtifactTensor.I64) m.tensor("counts")).data());
        assertClose(f32(whole, "means"), f32(m, "means"), 1e-6, "class means");
        assertClose(f32(whole, "direction"), f32(m, "direction"), 1e-6, "direction");
    }

    @Test
    void aStateWrittenMidLayerRestoresTheAccumulatorsBitForBit() throws IOException {
        Snapshot snap = new Snapshot(IncrementalPCA.at(Layers.of(0)).components(2), 0);
        sweep(shard(0, 12), snap);
        IncrementalPCA restored = IncrementalPCA.at(Layers.of(0)).components(2);
        restored.onSweepStart(info());
        restored.state().orElseThrow().restore(in(snap.state));
        assertArrayEquals(snap.state, bytes(restored.state().orElseThrow()));
        Optional<CenteredMoments> m = restored.moments(0, Hook.RESIDUAL_POST);
        assertEquals(12, m.orElseThrow().count());
        CenteredMoments copy = CenteredMoments.readFrom(in(bytes(out -> m.get().writeTo(out))));
        assertEquals(m.get(), copy);
    }

    @Test
    void damagedStateBytesAreRefused() {
        Snapshot snap = new Snapshot(DiffOfMeans.at(Layers.of(0)), 0);
        sweep(shard(0, 6), snap);
        DiffOfMeans d = DiffOfMeans.at(Layers.of(0));
        d.onSweepStart(info());
        byte[] torn = Arrays.copyOf(snap.state, snap.state.length / 2);
        assertThrows(IOException.class, () -> d.state().orElseThrow().restore(in(torn)));
    }

    @Test
    void rawActivationsAndSteeringHaveNothingToSaveAndSayWhatChangesTheirOutputs() {
        assertEquals(Optional.of(CallbackState.none()), RawActivations.at(Layers.all()).state());
        assertEquals("pool=mean", RawActivations.at(Layers.all()).pool(Pool.MEAN).settings());
        SteerInBasis steer = SteerInBasis.at(Layers.of(1), SteeringVector.of(new float[64])).alpha(2f);
        assertEquals(Optional.of(CallbackState.none()), steer.state());
        assertTrue(steer.settings().contains("alpha=" + Float.floatToIntBits(2f)), steer.settings());
        assertTrue(IncrementalPCA.at(Layers.all()).components(5).settings().contains("k=5"));
    }

    private interface Writer {
        void write(DataOutputStream out) throws IOException;
    }

    private static byte[] bytes(Writer w) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (DataOutputStream data = new DataOutputStream(out)) {
            w.write(data);
        }
        return out.toByteArray();
    }
}
