package org.fpwap.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.fpwap.callback.Callback;
import org.fpwap.callback.Layers;
import org.fpwap.dataset.Dataset;
import org.fpwap.forward.Hook;
import org.fpwap.result.OutputFormat;
import org.fpwap.result.Result;
import org.fpwap.run.Journal;
import org.fpwap.run.RunDirectoryException;
import org.fpwap.run.RunStoppedException;
import org.fpwap.run.StopToken;
import org.fpwap.sweep.ProgressEvent;
import org.fpwap.sweep.Sweep;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A journaled sweep stopped at a safe point (after the embedding, mid-layer, at a layer end, after the last
 * layer) and resumed with fresh callback instances exports files byte-identical to an uninterrupted run's:
 * raw activations (last token and every token), PCA and class means. A resume refuses a changed option,
 * a changed dataset and a journal it was not asked to continue.
 */
class ResumeSweepTest {

    @TempDir
    static Path tmp;

    private static Path model;
    private static Map<String, String> uninterrupted;

    private static Dataset data() {
        return Reference.dataset(40, 9, 11, 0L, 1L, null);
    }

    private static List<Callback> callbacks() {
        return List.of(
                RawActivations.at(Layers.all()).hooks(Hook.RESIDUAL_POST, Hook.MLP_OUT).named("last"),
                RawActivations.at(Layers.of(1)).pool(Pool.ALL).named("all"),
                IncrementalPCA.at(Layers.of(0, 2)).components(4),
                DiffOfMeans.at(Layers.of(1, 2)).pool(Pool.MEAN),
                new TokenTally(true));
    }

    /**
     * Sums the first coordinate of every real token's residual_post over all layers: state that lives across
     * layers, so a resume must restore it (a lost or doubled layer changes the sweep-level artifact).
     */
    static final class TokenTally implements Callback {
        private final boolean checkpointable;
        private double sum;
        private long rows;

        TokenTally(boolean checkpointable) {
            this.checkpointable = checkpointable;
        }

        @Override
        public org.fpwap.callback.LayerSelection layers() {
            return Layers.all();
        }

        @Override
        public java.util.Set<Hook> hooks() {
            return java.util.Set.of(Hook.RESIDUAL_POST);
        }

        @Override
        public void onSweepStart(org.fpwap.callback.SweepInfo info) {
            sum = 0;
            rows = 0;
        }

        @Override
        public org.fpwap.callback.CallbackAction onBatch(org.fpwap.callback.Batch batch) {
            float[] last = batch.lastRealToken().toFloatArray();
            int h = (int) batch.activations().getShape().get(2);
            for (int i = 0; i < last.length; i += h) {
                sum += last[i];
                rows++;
            }
            return org.fpwap.callback.CallbackAction.nothing();
        }

        @Override
        public java.util.Optional<org.fpwap.callback.CallbackState> state() {
            if (!checkpointable) {
                return java.util.Optional.empty();
            }
            return java.util.Optional.of(new org.fpwap.callback.CallbackState() {
                @Override
                public void write(java.io.DataOutput out) throws IOException {
                    out.writeDouble(sum);
                    out.writeLong(rows);
                }

                @Override
                public void restore(java.io.DataInput in) throws IOException {
                    sum = in.readDouble();
                    rows = in.readLong();
                }
            });
        }

        @Override
        public List<org.fpwap.callback.Artifact> onSweepEnd() {
            return List.of(new org.fpwap.callback.Artifact("tally", java.util.OptionalInt.empty(), java.util.Optional.empty(),
                    Map.of("sum", org.fpwap.callback.ArtifactTensor.f32(new long[] {1}, new float[] {(float) sum}),
                            "rows", org.fpwap.callback.ArtifactTensor.i64(new long[] {1}, new long[] {rows})),
                    Map.of()));
        }
    }

    private static Sweep.Builder sweep(Path work, Dataset data) {
        return Sweep.builder().model(model).dataset(data).microbatch(6).workDir(work).callbacks(callbacks());
    }

    @BeforeAll
    static void runOnceWithoutInterruption() throws Exception {
        model = Reference.model(tmp.resolve("model"));
        Path out = tmp.resolve("uninterrupted");
        try (Sweep sweep = sweep(tmp.resolve("work-uninterrupted"), data()).build(); Result result = sweep.run()) {
            result.export(out, OutputFormat.SAFETENSORS);
        }
        uninterrupted = digests(out);
        assertTrue(uninterrupted.size() >= 8, "outputs: " + uninterrupted.keySet());
    }

    /**
     * Runs journaled until {@code stopAt} says so, then resumes (checking it computed only {@code layersLeft}
     * layers and no embedding); returns the resumed run's exported digests.
     */
    private static Map<String, String> stopThenResume(String name, Predicate<ProgressEvent> stopAt, int layersLeft)
            throws Exception {
        Path work = tmp.resolve("work-" + name);
        StopToken stop = new StopToken();
        try (Sweep sweep = sweep(work, data()).journal(true).stopToken(stop)
                .progress(e -> {
                    if (stopAt.test(e)) {
                        stop.request("test");
                    }
                }).build()) {
            assertThrows(RunStoppedException.class, sweep::run);
        }
        assertTrue(Journal.exists(work), "a stopped run leaves its journal");
        Path out = tmp.resolve("resumed-" + name);
        try (Sweep sweep = sweep(work, data()).resume(true).build(); Result result = sweep.run()) {
            result.export(out, OutputFormat.SAFETENSORS);
            assertEquals(layersLeft, result.profile().layers().size(), "layers computed by the resumed run");
            assertEquals(0, result.profile().embedSeconds(), "the resumed run does not embed again");
        }
        return digests(out);
    }

    @Test
    void resumingAfterTheEmbeddingGivesIdenticalOutputs() throws Exception {
        assertEquals(uninterrupted, stopThenResume("embedded", e -> e instanceof ProgressEvent.RunStarted, 3));
    }

    @Test
    void resumingMidLayerRedoesThatLayerAndGivesIdenticalOutputs() throws Exception {
        assertEquals(uninterrupted, stopThenResume("mid-layer",
                e -> e instanceof ProgressEvent.MicrobatchDone d && d.layer() == 1 && d.index() == 2, 2));
    }

    @Test
    void resumingAfterALayerEndGivesIdenticalOutputs() throws Exception {
        assertEquals(uninterrupted, stopThenResume("layer-end", e -> e instanceof ProgressEvent.LayerFinished f && f.layer() == 0, 2));
    }

    @Test
    void aResumeRefusesChangedOptionsNamingThem() {
        Path work = tmp.resolve("work-changed");
        stopAfterLayerZero(work);
        RunDirectoryException e = assertThrows(RunDirectoryException.class, () -> {
            try (Sweep sweep = sweep(work, data()).finalNorm(false).resume(true).build()) {
                sweep.run();
            }
        });
        assertTrue(e.getMessage().contains("final norm: the journal has \"true\", this run has \"false\""), e.getMessage());
    }

    @Test
    void aResumeRefusesAnotherModel() {
        Path work = tmp.resolve("work-model");
        stopAfterLayerZero(work);
        Path other = tmp.resolve("other-model");
        org.fpwap.modelgen.RandomModelWriter.write(org.fpwap.modelgen.RandomModelConfig.builder(org.fpwap.model.ModelFamily.LLAMA)
                .layers(3).dtype(org.fpwap.safetensors.DType.BF16).build(), other);
        RunDirectoryException e = assertThrows(RunDirectoryException.class, () -> {
            try (Sweep sweep = Sweep.builder().model(other).dataset(data()).microbatch(6).workDir(work).callbacks(callbacks())
                    .resume(true).build()) {
                sweep.run();
            }
        });
        assertTrue(e.getMessage().contains("model fingerprint: the journal has"), e.getMessage());
    }

    @Test
    void aResumeRefusesAChangedDataset() {
        Path work = tmp.resolve("work-dataset");
        stopAfterLayerZero(work);
        RunDirectoryException e = assertThrows(RunDirectoryException.class, () -> {
            try (Sweep sweep = sweep(work, Reference.dataset(40, 9, 12, 0L, 1L, null)).resume(true).build()) {
                sweep.run();
            }
        });
        assertTrue(e.getMessage().contains("dataset digest"), e.getMessage());
    }

    @Test
    void aJournalIsNeverOverwrittenWithoutResume() {
        Path work = tmp.resolve("work-again");
        stopAfterLayerZero(work);
        RunDirectoryException e = assertThrows(RunDirectoryException.class, () -> {
            try (Sweep sweep = sweep(work, data()).journal(true).build()) {
                sweep.run();
            }
        });
        assertTrue(e.getMessage().contains("holds the journal of an earlier run (layers 0..0 done)")
                && e.getMessage().contains("--resume") && e.getMessage().contains("--overwrite"), e.getMessage());
    }

    @Test
    void aResumeRefusesACallbackThatCannotSaveItsStateNamingIt() {
        Path work = tmp.resolve("work-stateless");
        StopToken stop = new StopToken();
        try (Sweep sweep = Sweep.builder().model(model).dataset(data()).microbatch(6).workDir(work).callbacks(new TokenTally(false))
                .journal(true).stopToken(stop).progress(e -> {
                    if (e instanceof ProgressEvent.LayerFinished) {
                        stop.request("test");
                    }
                }).build()) {
            assertThrows(RunStoppedException.class, sweep::run);
        }
        RunDirectoryException e = assertThrows(RunDirectoryException.class, () -> {
            try (Sweep sweep = Sweep.builder().model(model).dataset(data()).microbatch(6).workDir(work)
                    .callbacks(new TokenTally(false)).resume(true).build()) {
                sweep.run();
            }
        });
        assertTrue(e.getMessage().contains("callback TokenTally") && e.getMessage().contains("cannot save its state"), e.getMessage());
    }

    private static void stopAfterLayerZero(Path work) {
        StopToken stop = new StopToken();
        try (Sweep sweep = sweep(work, data()).journal(true).stopToken(stop)
                .progress(e -> {
                    if (e instanceof ProgressEvent.LayerFinished f && f.layer() == 0) {
                        stop.request("test");
                    }
                }).build()) {
            assertThrows(RunStoppedException.class, sweep::run);
        }
    }

    /** SHA-256 of every exported file but profile.json (which carries times), by relative path. */
    static Map<String, String> digests(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                String rel = dir.relativize(p).toString();
                if (!rel.equals("profile.json")) {
                    out.put(rel, sha256(Files.readAllBytes(p)));
                }
            }
        }
        return out;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
