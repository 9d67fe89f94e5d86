package org.fpwap.gpu;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import org.fpwap.callback.Artifact;
import org.fpwap.callback.ArtifactTensor;
import org.fpwap.callback.Batch;
import org.fpwap.callback.Callback;
import org.fpwap.callback.CallbackAction;
import org.fpwap.callback.LayerSelection;
import org.fpwap.callback.Layers;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.Sample;
import org.fpwap.forward.Hook;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.result.ActivationTable;
import org.fpwap.result.Result;
import org.fpwap.result.VerifyReport;
import org.fpwap.sweep.Plan;
import org.fpwap.sweep.Sweep;

/** Seeded models, prompts and sweeps shared by the device tests and their CPU rehearsals. */
final class Fixtures {

    static final int LAYERS = 3;
    static final int VOCAB = 128;

    private Fixtures() {}

    /** A seeded random model of {@code family} with {@link #LAYERS} layers. */
    static Path model(Path dir, ModelFamily family) {
        RandomModelWriter.write(RandomModelConfig.builder(family).layers(LAYERS).build(), dir);
        return dir;
    }

    /** Prompts of the given lengths (seeded), labelled 0/1 alternately. */
    static List<Sample> prompts(long seed, int... lengths) {
        Random random = new Random(seed);
        List<Sample> out = new ArrayList<>();
        for (int i = 0; i < lengths.length; i++) {
            int[] t = new int[lengths[i]];
            for (int j = 0; j < t.length; j++) {
                t[j] = random.nextInt(VOCAB);
            }
            out.add(new Sample(i, t, OptionalLong.of(i % 2)));
        }
        return out;
    }

    /** The standard mixed-length dataset. */
    static List<Sample> prompts() {
        return prompts(5, 30, 2, 29, 3, 17, 17, 1, 9, 22, 12, 5, 26);
    }

    /** Emits every real token's activation at every hook of every layer. */
    record Record(String name, LayerSelection layers, Set<Hook> hooks) implements Callback {
        static Record everywhere() {
            return new Record("record", Layers.all(), Set.of(Hook.values()));
        }

        @Override
        public CallbackAction onBatch(Batch batch) {
            return CallbackAction.Emit.perToken(batch.activations());
        }
    }

    /** What a sweep produced, copied to the heap so the sweep can be closed. */
    record Run(Map<String, float[][][]> activations, List<Artifact> artifacts, Plan plan, VerifyReport verification) {}

    /**
     * Runs a sweep on {@code device} with microbatches of {@code microbatch} prompts, and copies every emitted
     * stream ({@code callback/layer/hook} → per sample {@code [tokens][H]} or {@code [1][W]}) and the artifacts.
     */
    static Run run(Path model, List<Sample> data, String device, int microbatch, boolean verify, Path work, Callback... callbacks) {
        try (Sweep sweep = Sweep.builder().model(model).dataset(Dataset.of(data)).callbacks(callbacks).device(device)
                .microbatch(microbatch).verify(verify).finalNorm(true).workDir(work).build()) {
            Plan plan = sweep.preflight();
            Result result = sweep.run();
            Map<String, float[][][]> acts = new LinkedHashMap<>();
            for (var stream : result.streams()) {
                ActivationTable t = result.activations(stream.callback(), stream.layer(), stream.hook());
                float[][][] rows = new float[t.sampleCount()][][];
                for (int i = 0; i < rows.length; i++) {
                    rows[i] = t.vectors(i);
                }
                acts.put(stream.callback() + "/" + stream.layer() + "/" + stream.hook(), rows);
            }
            return new Run(acts, List.copyOf(result.artifacts()), plan, result.verification().orElse(null));
        }
    }

    /** ‖a − b‖ / ‖b‖ over all values (0 when both are zero). */
    static double relativeError(float[] a, float[] b) {
        if (a.length != b.length) {
            return Double.POSITIVE_INFINITY;
        }
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - b[i];
            diff += d * d;
            norm += (double) b[i] * b[i];
        }
        return norm == 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
    }

    static float[] flatten(float[][] rows) {
        int n = 0;
        for (float[] r : rows) {
            n += r.length;
        }
        float[] out = new float[n];
        int at = 0;
        for (float[] r : rows) {
            System.arraycopy(r, 0, out, at, r.length);
            at += r.length;
        }
        return out;
    }

    /** The largest per-sample relative error between two runs' streams; -1 if their stream sets differ. */
    static String worstActivationError(Run actual, Run expected, double[] worst) {
        String where = "";
        if (!actual.activations().keySet().equals(expected.activations().keySet())) {
            worst[0] = Double.POSITIVE_INFINITY;
            return "different streams: " + actual.activations().keySet() + " vs " + expected.activations().keySet();
        }
        for (var e : expected.activations().entrySet()) {
            float[][][] a = actual.activations().get(e.getKey());
            for (int i = 0; i < e.getValue().length; i++) {
                double err = relativeError(flatten(a[i]), flatten(e.getValue()[i]));
                if (!(err <= worst[0])) {
                    worst[0] = err;
                    where = e.getKey() + " sample " + i;
                }
            }
        }
        return where;
    }

    /** The first bit difference between two runs' streams, or null if they are bit-identical. */
    static String firstBitDifference(Run actual, Run expected) {
        if (!actual.activations().keySet().equals(expected.activations().keySet())) {
            return "different streams";
        }
        for (var e : expected.activations().entrySet()) {
            float[][][] a = actual.activations().get(e.getKey());
            for (int i = 0; i < e.getValue().length; i++) {
                float[] x = flatten(a[i]);
                float[] y = flatten(e.getValue()[i]);
                if (x.length != y.length) {
                    return e.getKey() + " sample " + i + ": length " + x.length + " vs " + y.length;
                }
                for (int j = 0; j < x.length; j++) {
                    if (Float.floatToRawIntBits(x[j]) != Float.floatToRawIntBits(y[j])) {
                        return e.getKey() + " sample " + i + " value " + j + ": " + x[j] + " vs " + y[j];
                    }
                }
            }
        }
        return null;
    }

    /** The largest relative error between same-named F32 tensors of matching artifacts (I64 tensors must be equal). */
    static double worstArtifactError(List<Artifact> actual, List<Artifact> expected, StringBuilder where) {
        if (actual.size() != expected.size()) {
            where.append("artifact counts differ: ").append(actual.size()).append(" vs ").append(expected.size());
            return Double.POSITIVE_INFINITY;
        }
        double worst = 0;
        for (int k = 0; k < expected.size(); k++) {
            Artifact e = expected.get(k);
            Artifact a = actual.get(k);
            for (var t : e.tensors().entrySet()) {
                ArtifactTensor at = a.tensors().get(t.getKey());
                double err;
                if (t.getValue() instanceof ArtifactTensor.F32 ef && at instanceof ArtifactTensor.F32 af) {
                    err = relativeError(af.data(), ef.data());
                } else {
                    err = t.getValue().equals(at) ? 0 : Double.POSITIVE_INFINITY;
                }
                if (!(err <= worst)) {
                    worst = err;
                    where.setLength(0);
                    where.append(e.kind()).append(" layer ").append(e.layer()).append(" ").append(e.hook()).append(" tensor ")
                            .append(t.getKey());
                }
            }
        }
        return worst;
    }

    /** SHA-256 of every value of every stream, in stream, sample and value order, as little-endian FP32 bits. */
    static String sha256(Run run) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (var e : run.activations().entrySet()) {
                md.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                for (float[][] sample : e.getValue()) {
                    float[] flat = flatten(sample);
                    ByteBuffer b = ByteBuffer.allocate(flat.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                    b.asFloatBuffer().put(flat);
                    md.update(b);
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
