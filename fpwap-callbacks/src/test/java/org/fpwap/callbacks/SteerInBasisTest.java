package org.fpwap.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import org.fpwap.callback.Artifact;
import org.fpwap.callback.ArtifactTensor;
import org.fpwap.callback.Callback;
import org.fpwap.callback.Layers;
import org.fpwap.dataset.Dataset;
import org.fpwap.forward.Hook;
import org.fpwap.result.OutputFormat;
import org.fpwap.result.Result;
import org.fpwap.result.VerifyReport;
import org.fpwap.sweep.Sweep;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SteerInBasis changes exactly what it says: under {@code add} at layer L's {@code residual_post}, layer
 * L+1's {@code residual_pre} is the unsteered value plus {@code α·v} (one FP32 add, compared bit for bit) at
 * the steered positions and bit-identical elsewhere, and nothing at layers ≤ L changes; {@code ablate}
 * leaves no component along v̂; a fit-then-steer workflow runs through an exported {@code pca} file with
 * {@code verify(true)}; bad vectors fail at sweep start naming the file, tensor and sizes.
 */
class SteerInBasisTest {

    private static final int L = 1;
    private static final int H = 64;

    @TempDir
    Path tmp;

    private Path model;
    private Dataset data;
    private float[] v;

    @BeforeEach
    void setUp() {
        model = Reference.model(tmp.resolve("model"));
        data = Reference.dataset(20, 10, 5);
        Random random = new Random(12);
        v = new float[H];
        for (int j = 0; j < H; j++) {
            v[j] = (float) random.nextGaussian();
        }
    }

    /** Every real token of every sample at (layer, hook), flattened: [layer][hook] → sample → token → H. */
    private record Run(Map<String, float[][][]> acts, Optional<VerifyReport> verify) {
        float[][] at(int layer, Hook hook, int sample) {
            return acts.get(layer + "/" + hook)[sample];
        }
    }

    private Run run(boolean verify, Callback... extra) {
        List<Callback> callbacks = new ArrayList<>(List.of(extra));
        callbacks.add(RawActivations.at(Layers.of(0, 1, 2)).hooks(Hook.RESIDUAL_PRE, Hook.RESIDUAL_POST).pool(Pool.ALL).named("raw"));
        try (Sweep sweep = Sweep.builder().model(model).dataset(data).microbatch(6).finalNorm(false).verify(verify)
                .callbacks(callbacks).build()) {
            Result result = sweep.run();
            Map<String, float[][][]> acts = new java.util.HashMap<>();
            for (int layer = 0; layer <= 2; layer++) {
                for (Hook hook : List.of(Hook.RESIDUAL_PRE, Hook.RESIDUAL_POST)) {
                    var table = result.activations("raw", layer, hook);
                    float[][][] all = new float[table.sampleCount()][][];
                    for (int i = 0; i < all.length; i++) {
                        all[i] = table.vectors(i);
                    }
                    acts.put(layer + "/" + hook, all);
                }
            }
            return new Run(acts, result.verification());
        }
    }

    private static void assertBitIdentical(float[] expected, float[] actual, String where) {
        assertEquals(expected.length, actual.length, where);
        for (int j = 0; j < expected.length; j++) {
            if (Float.floatToRawIntBits(expected[j]) != Float.floatToRawIntBits(actual[j])) {
                throw new AssertionError(where + " dim " + j + ": expected " + expected[j] + " got " + actual[j]);
            }
        }
    }

    /** Layers before L and L's own hooks (as READ callbacks see them) are untouched. */
    private static void assertUpstreamUnchanged(Run base, Run steered, int samples) {
        for (int layer = 0; layer <= L; layer++) {
            for (Hook hook : List.of(Hook.RESIDUAL_PRE, Hook.RESIDUAL_POST)) {
                for (int i = 0; i < samples; i++) {
                    float[][] a = base.at(layer, hook, i);
                    float[][] b = steered.at(layer, hook, i);
                    for (int t = 0; t < a.length; t++) {
                        assertBitIdentical(a[t], b[t], "layer " + layer + " " + hook + " sample " + i + " token " + t);
                    }
                }
            }
        }
    }

    /** Layer L+1's residual_pre is base + shift (one FP32 add) at steered tokens, and bit-identical elsewhere. */
    private static int assertShifted(Run base, Run steered, float[] shift, boolean lastOnly, int samples) {
        int changed = 0;
        for (int i = 0; i < samples; i++) {
            float[][] a = base.at(L + 1, Hook.RESIDUAL_PRE, i);
            float[][] b = steered.at(L + 1, Hook.RESIDUAL_PRE, i);
            for (int t = 0; t < a.length; t++) {
                boolean steeredHere = !lastOnly || t == a.length - 1;
                float[] expected = a[t].clone();
                if (steeredHere) {
                    for (int j = 0; j < H; j++) {
                        expected[j] = a[t][j] + shift[j];
                    }
                    changed++;
                }
                assertBitIdentical(expected, b[t], "layer " + (L + 1) + " residual_pre sample " + i + " token " + t
                        + (steeredHere ? " (steered)" : " (not steered)"));
            }
        }
        return changed;
    }

    private float[] scaled(float alpha, float[] vec) {
        float[] s = new float[H];
        for (int j = 0; j < H; j++) {
            s[j] = alpha * vec[j];
        }
        return s;
    }

    @Test
    void addingAtEveryTokenShiftsTheNextLayersInputByAlphaTimesVExactly() {
        Run base = run(false);
        Run steered = run(false, SteerInBasis.at(Layers.of(L), SteeringVector.of(v)).alpha(3.5f));
        assertUpstreamUnchanged(base, steered, 20);
        int changed = assertShifted(base, steered, scaled(3.5f, v), false, 20);
        assertTrue(changed > 20);
    }

    @Test
    void addingAtTheLastTokenLeavesEarlierTokensBitIdentical() {
        Run base = run(false);
        Run steered = run(false, SteerInBasis.at(Layers.of(L), SteeringVector.of(v)).alpha(-2f)
                .positions(SteerInBasis.Positions.LAST));
        assertUpstreamUnchanged(base, steered, 20);
        assertEquals(20, assertShifted(base, steered, scaled(-2f, v), true, 20));
    }

    @Test
    void normalisationScalesTheUnitVector() {
        double norm = 0;
        for (float x : v) {
            norm += (double) x * x;
        }
        float[] unit = new float[H];
        for (int j = 0; j < H; j++) {
            unit[j] = (float) (v[j] / Math.sqrt(norm));
        }
        Run base = run(false);
        Run steered = run(false, SteerInBasis.at(Layers.of(L), SteeringVector.of(v)).alpha(4f).normalize(true));
        assertShifted(base, steered, scaled(4f, unit), false, 20);
    }

    @Test
    void ablationLeavesNoComponentAlongTheDirection() {
        double norm = 0;
        for (float x : v) {
            norm += (double) x * x;
        }
        double[] unit = new double[H];
        for (int j = 0; j < H; j++) {
            unit[j] = v[j] / Math.sqrt(norm);
        }
        Run base = run(false);
        Run steered = run(false, SteerInBasis.at(Layers.of(L), SteeringVector.of(v)).ablate()
                .positions(SteerInBasis.Positions.LAST));
        assertUpstreamUnchanged(base, steered, 20);
        double worst = 0;
        double before = 0;
        for (int i = 0; i < 20; i++) {
            float[][] a = base.at(L + 1, Hook.RESIDUAL_PRE, i);
            float[][] b = steered.at(L + 1, Hook.RESIDUAL_PRE, i);
            int last = b.length - 1;
            double along = Math.abs(Reference.dot(unit, b[last], 0)) / Reference.norm(b[last], 0, H);
            worst = Math.max(worst, along);
            before = Math.max(before, Math.abs(Reference.dot(unit, a[last], 0)) / Reference.norm(a[last], 0, H));
            assertTrue(along <= 1e-5, "sample " + i + ": |acts·v̂| / ‖acts‖ = " + along);
            for (int t = 0; t < last; t++) {
                assertBitIdentical(a[t], b[t], "sample " + i + " token " + t + " (not steered)");
            }
        }
        System.out.printf("ablate: max |acts·v̂|/‖acts‖ before %.3g, after %.3g%n", before, worst);
        assertTrue(before > 1e-2, "the direction had a component to remove");
    }

    @Test
    void aPcaFitInOnePassSteersTheNextThroughTheExportedFileWithVerifyOn() {
        Path out = tmp.resolve("pass1");
        Run base;
        try (Sweep sweep = Sweep.builder().model(model).dataset(data).microbatch(6).finalNorm(false)
                .callbacks(IncrementalPCA.at(Layers.of(L)).components(4),
                        RawActivations.at(Layers.of(L + 1)).hooks(Hook.RESIDUAL_PRE).pool(Pool.ALL))
                .build()) {
            Result result = sweep.run();
            var table = result.activations(L + 1, Hook.RESIDUAL_PRE);
            float[][][] all = new float[table.sampleCount()][][];
            for (int i = 0; i < all.length; i++) {
                all[i] = table.vectors(i);
            }
            base = new Run(Map.of((L + 1) + "/" + Hook.RESIDUAL_PRE, all), Optional.empty());
            result.export(out, OutputFormat.SAFETENSORS);
        }
        Path pcaFile = out.resolve("layer-" + L + "/residual_post.pca.safetensors");
        assertTrue(Files.exists(pcaFile), "pass 1 exported " + pcaFile);
        float[] components = ((ArtifactTensor.F32) Artifact.read(pcaFile).tensor("components")).data();
        float[] c0 = java.util.Arrays.copyOf(components, H);

        Run steered = run(true, SteerInBasis.at(Layers.of(L), SteeringVector.fromFile(pcaFile, "components", 0)).alpha(6f));
        VerifyReport report = steered.verify().orElseThrow();
        assertTrue(report.identical(), report.summary());
        assertTrue(report.checked() > 0);
        assertShifted(base, steered, scaled(6f, c0), false, 20);
    }

    @Test
    void verifyPassesWithAblationAndTwoSteerersInOneSweep() {
        Run steered = run(true,
                SteerInBasis.at(Layers.of(0, L), SteeringVector.of(v)).alpha(2f).named("add"),
                SteerInBasis.at(Layers.of(L), SteeringVector.of(v)).ablate().hook(Hook.MLP_OUT).named("ablate"));
        VerifyReport report = steered.verify().orElseThrow();
        assertTrue(report.identical(), report.summary());
    }

    private Path vectorFile(String tensor, long[] shape) {
        int n = (int) java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        Path file = tmp.resolve(tensor + n + ".safetensors");
        new Artifact("direction", OptionalInt.empty(), Optional.empty(),
                Map.of(tensor, ArtifactTensor.f32(shape, new float[n])), Map.of()).write(file);
        return file;
    }

    private String failure(SteeringVector source) {
        return failure(SteerInBasis.at(Layers.of(L), source));
    }

    private String failure(SteerInBasis steer) {
        try (Sweep sweep = Sweep.builder().model(model).dataset(data).finalNorm(false)
                .callbacks(steer, RawActivations.at(Layers.of(2))).build()) {
            return assertThrows(IllegalArgumentException.class, sweep::run).getMessage();
        }
    }

    @Test
    void aVectorOfTheWrongLengthFailsAtSweepStartNamingTheFileTensorAndSizes() {
        Path file = vectorFile("direction", new long[] {32});
        String message = failure(SteeringVector.fromFile(file, "direction"));
        assertTrue(message.contains(file.toString()) && message.contains("\"direction\"") && message.contains("32")
                && message.contains("64"), message);
        System.out.println("wrong length: " + message);
        String given = failure(SteeringVector.of(new float[10]));
        assertTrue(given.contains("10") && given.contains("64"), given);
    }

    @Test
    void aMissingTensorOrAnOutOfRangeRowFailsAtSweepStart() {
        Path file = vectorFile("components", new long[] {4, H});
        String missing = failure(SteeringVector.fromFile(file, "direction"));
        assertTrue(missing.contains(file.toString()) && missing.contains("\"direction\"") && missing.contains("components"), missing);
        String row = failure(SteeringVector.fromFile(file, "components", 4));
        assertTrue(row.contains(file.toString()) && row.contains("row 4") && row.contains("4 rows"), row);
        System.out.println("missing tensor: " + missing + "\nrow out of range: " + row);
        String noRow = failure(SteeringVector.fromFile(file, "components"));
        assertTrue(noRow.contains("name the row"), noRow);
        String absent = failure(SteeringVector.fromFile(tmp.resolve("nowhere.safetensors"), "direction"));
        assertTrue(absent.contains("nowhere.safetensors") && absent.contains("does not exist"), absent);
        // A zero vector cannot be normalised or ablated along.
        SteeringVector zero = SteeringVector.fromFile(vectorFile("zero", new long[] {H}), "zero");
        String ablate = failure(SteerInBasis.at(Layers.of(L), zero).ablate());
        assertTrue(ablate.contains("zero") && ablate.contains("normalised"), ablate);
        String normalised = failure(SteerInBasis.at(Layers.of(L), zero).normalize(true));
        assertTrue(normalised.contains("zero"), normalised);
    }
}
