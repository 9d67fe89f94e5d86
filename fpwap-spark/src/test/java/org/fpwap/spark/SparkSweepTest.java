package org.fpwap.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.fpwap.callback.Artifact;
import org.fpwap.callback.ArtifactTensor;
import org.fpwap.callback.Batch;
import org.fpwap.callback.Callback;
import org.fpwap.callback.CallbackAction;
import org.fpwap.callback.CallbackState;
import org.fpwap.callback.LayerSelection;
import org.fpwap.callback.Store;
import org.fpwap.callback.Layers;
import org.fpwap.callbacks.DiffOfMeans;
import org.fpwap.callbacks.IncrementalPCA;
import org.fpwap.callbacks.RawActivations;
import org.fpwap.callbacks.SteerInBasis;
import org.fpwap.callbacks.SteeringVector;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.Sample;
import org.fpwap.forward.Hook;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.result.ActivationRow;
import org.fpwap.result.ActivationTable;
import org.fpwap.result.ArrowActivationReader;
import org.fpwap.result.OutputFormat;
import org.fpwap.result.Result;
import org.fpwap.safetensors.DType;
import org.fpwap.safetensors.SafetensorsFile;
import org.fpwap.run.JournalEntry;
import org.fpwap.sweep.Sweep;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sweep on Spark {@code local[2]} (two executor threads, each task retried once) against the ordinary
 * single-machine sweep over the same data, both with the default microbatching: same files, bit-identical rows in
 * dataset order, the same merged statistics up to the FP64 merge order; a task that fails once is recomputed without
 * counting its samples twice; an unreadable model names path and host.
 */
class SparkSweepTest {

    private static final int SAMPLES = 40;
    /**
     * Prompts of 3–40 tokens: microbatches of many widths, several per shard; few enough tokens (× 2 layers) that the
     * microbatch probe's budget, 3% of the run, ends it after its first candidate whatever the timings, so the
     * single machine and the Spark driver choose the same microbatching.
     */
    private static final int VARIED_SAMPLES = 120;

    @TempDir
    static Path tmp;

    private static Path model;
    private static Dataset dataset;
    private static Dataset varied;
    private static JavaSparkContext spark;

    @BeforeAll
    static void setUp() {
        model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(3).build(), model);
        Random random = new Random(13);
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < SAMPLES; i++) {
            samples.add(new Sample(i, random.ints(1 + random.nextInt(9), 0, 128).toArray(), OptionalLong.of(i % 3 == 2 ? 1 : 0)));
        }
        dataset = Dataset.of(samples);
        List<Sample> longer = new ArrayList<>();
        for (int i = 0; i < VARIED_SAMPLES; i++) {
            longer.add(new Sample(i, random.ints(3 + random.nextInt(38), 0, 128).toArray(), OptionalLong.of(i % 3 == 2 ? 1 : 0)));
        }
        varied = Dataset.of(longer);
        spark = SparkSweep.localContext("local[2,2]", "SparkSweepTest");
    }

    @AfterAll
    static void tearDown() {
        if (spark != null) {
            spark.close();
        }
    }

    /** Raw rows, PCA and class means all at layer 1, so the varied sweeps run two layers. */
    private static List<Callback> layerOneReaders() {
        return List.of(RawActivations.at(Layers.of(1)), IncrementalPCA.at(Layers.of(1)).components(3), DiffOfMeans.at(Layers.of(1)));
    }

    private static List<Callback> readers() {
        return List.of(RawActivations.at(Layers.of(1)), IncrementalPCA.at(Layers.of(1)).components(3),
                DiffOfMeans.at(Layers.of(2)));
    }

    private static Result single(CallbackFactory callbacks, int microbatch, Path out) {
        return single(dataset, callbacks, microbatch, out);
    }

    private static Result single(Dataset data, CallbackFactory callbacks, int microbatch, Path out) {
        return single(data, callbacks, microbatch, out, OutputFormat.ARROW);
    }

    private static Result single(Dataset data, CallbackFactory callbacks, int microbatch, Path out, OutputFormat format) {
        Sweep.Builder b = Sweep.builder().model(model).dataset(data).workDir(tmp.resolve("w" + System.nanoTime()))
                .callbacks(callbacks.create());
        try (Sweep sweep = (microbatch > 0 ? b.microbatch(microbatch) : b).build()) {
            Result r = sweep.run();
            r.export(out, format);
            return r;
        }
    }

    private static Result onSpark(CallbackFactory callbacks, int microbatch, int partitions, Path out) {
        return sparkSweep(dataset, callbacks, microbatch, partitions).run(spark, out, OutputFormat.ARROW);
    }

    private static SparkSweep sparkSweep(Dataset data, CallbackFactory callbacks, int microbatch, int partitions) {
        SparkSweep.Builder b = SparkSweep.builder().model(model).dataset(data).callbacks(callbacks).partitions(partitions);
        return (microbatch > 0 ? b.microbatch(microbatch) : b).build();
    }

    private static Set<Path> files(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            // Leaves out the emit files an open Arrow-exported Spark result still reads (deleted when it closes).
            return Set.copyOf(walk.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith(".spark-emit-"))
                    .map(dir::relativize).toList());
        }
    }

    /** Rows of an exported Arrow file, read with the same reader users have. */
    private static List<ActivationRow> rows(Path out) {
        try (ArrowActivationReader reader = ArrowActivationReader.open(out.resolve("layer-1/residual_post.arrow"))) {
            return reader.readAll();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static void assertRowsClose(Path expectedOut, Path actualOut, double relative) {
        List<ActivationRow> expected = rows(expectedOut);
        List<ActivationRow> actual = rows(actualOut);
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i).sampleId(), actual.get(i).sampleId());
            float[] e = expected.get(i).vector(0);
            float[] a = actual.get(i).vector(0);
            double scale = 0;
            double diff = 0;
            for (int j = 0; j < e.length; j++) {
                scale = Math.max(scale, Math.abs(e[j]));
                diff = Math.max(diff, Math.abs(e[j] - a[j]));
            }
            assertTrue(diff <= relative * scale, "sample " + i + ": max difference " + diff + " at scale " + scale);
        }
    }

    private static float[] f32(Artifact a, String name) {
        return ((ArtifactTensor.F32) a.tensor(name)).data();
    }

    private static long[] i64(Artifact a, String name) {
        return ((ArtifactTensor.I64) a.tensor(name)).data();
    }

    private static void assertRelative(float[] expected, float[] actual, double relative, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], relative * Math.abs(expected[i]), what + " [" + i + "]");
        }
    }

    /** The largest difference between the rows of two exports relative to each row's largest magnitude. */
    private static double maxRelativeRowDifference(List<ActivationRow> expected, List<ActivationRow> actual) {
        double worst = 0;
        for (int i = 0; i < expected.size(); i++) {
            float[][] e = expected.get(i).vectors();
            float[][] a = actual.get(i).vectors();
            double scale = 0;
            double diff = 0;
            for (int t = 0; t < e.length; t++) {
                for (int j = 0; j < e[t].length; j++) {
                    scale = Math.max(scale, Math.abs(e[t][j]));
                    diff = Math.max(diff, Math.abs(e[t][j] - a[t][j]));
                }
            }
            worst = Math.max(worst, diff / scale);
        }
        return worst;
    }

    private static boolean bitIdentical(List<ActivationRow> expected, List<ActivationRow> actual) {
        if (expected.size() != actual.size()) {
            return false;
        }
        for (int i = 0; i < expected.size(); i++) {
            float[][] e = expected.get(i).vectors();
            float[][] a = actual.get(i).vectors();
            if (e.length != a.length) {
                return false;
            }
            for (int t = 0; t < e.length; t++) {
                for (int j = 0; j < e[t].length; j++) {
                    if (Float.floatToRawIntBits(e[t][j]) != Float.floatToRawIntBits(a[t][j])) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    @Test
    void withTheDefaultMicrobatchingRowsAreBitIdenticalAndStatisticsMatchTheSingleMachineSweep() throws IOException {
        SparkSweep sweep = sparkSweep(varied, SparkSweepTest::layerOneReaders, 0, 2);
        ShardPlan plan = sweep.plan();
        assertEquals(2, plan.shards());
        for (int k = 0; k < plan.shards(); k++) {
            assertTrue(plan.microbatchesOf(k).size() >= 2, "shard " + k + " has several microbatches: " + plan.microbatchesOf(k).size());
        }
        try (Result whole = single(varied, SparkSweepTest::layerOneReaders, 0, tmp.resolve("single-varied"));
                Result merged = sweep.run(spark, tmp.resolve("spark-varied"), OutputFormat.ARROW)) {
            assertEquals(files(tmp.resolve("single-varied")), files(tmp.resolve("spark-varied")), "the same output layout");
            List<ActivationRow> expected = rows(tmp.resolve("single-varied"));
            List<ActivationRow> actual = rows(tmp.resolve("spark-varied"));
            assertEquals(VARIED_SAMPLES, actual.size());
            for (int i = 0; i < VARIED_SAMPLES; i++) {
                assertEquals(i, actual.get(i).sampleId(), "dataset order");
                assertEquals(OptionalLong.of(i % 3 == 2 ? 1 : 0), actual.get(i).label());
            }
            double relative = maxRelativeRowDifference(expected, actual);
            assertTrue(bitIdentical(expected, actual), "rows are not bit-identical: max relative difference " + relative
                    + " (1e-6 is the issue's bound); Spark planned " + plan.microbatching() + ", the single machine chose "
                    + whole.profile().microbatch().summary());
            assertTrue(Files.notExists(tmp.resolve("spark-varied/.spark-shards")), "the staging shards are removed");

            Artifact pw = whole.artifact(IncrementalPCA.KIND, 1);
            Artifact pm = merged.artifact(IncrementalPCA.KIND, 1);
            assertArrayEquals(i64(pw, "n_samples"), i64(pm, "n_samples"));
            float[] cw = f32(pw, "components");
            float[] cm = f32(pm, "components");
            int h = cw.length / 3;
            double worstCos = 0;
            for (int k = 0; k < 3; k++) {
                double dot = 0;
                double nw = 0;
                double nm = 0;
                for (int j = 0; j < h; j++) {
                    dot += (double) cw[k * h + j] * cm[k * h + j];
                    nw += (double) cw[k * h + j] * cw[k * h + j];
                    nm += (double) cm[k * h + j] * cm[k * h + j];
                }
                double cos = Math.abs(dot) / Math.sqrt(nw * nm);
                worstCos = Math.max(worstCos, 1 - cos);
                assertTrue(1 - cos <= 1e-9, "component " + k + ": 1 - |cos| = " + (1 - cos));
            }
            assertRelative(f32(pw, "explained_variance"), f32(pm, "explained_variance"), 1e-9, "explained variance");

            Artifact dw = whole.artifact(DiffOfMeans.KIND, 1);
            Artifact dm = merged.artifact(DiffOfMeans.KIND, 1);
            assertArrayEquals(i64(dw, "counts"), i64(dm, "counts"));
            assertRelative(f32(dw, "means"), f32(dm, "means"), 1e-12, "class means");
            System.out.printf(java.util.Locale.ROOT, "spark local[2] vs one machine, %s: rows max relative %.3g; PCA max 1-|cos| %.3g,"
                    + " explained variance max relative %.3g; class means max relative %.3g; microbatches per shard %d, %d%n",
                    plan.microbatching(), relative, worstCos,
                    maxRelative(f32(pw, "explained_variance"), f32(pm, "explained_variance")),
                    maxRelative(f32(dw, "means"), f32(dm, "means")), plan.microbatchesOf(0).size(), plan.microbatchesOf(1).size());
        }
    }

    private static double maxRelative(float[] expected, float[] actual) {
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]) / Math.abs(expected[i]));
        }
        return worst;
    }

    private static List<Callback> int8Rows() {
        return List.of(RawActivations.at(Layers.of(1)).store(Store.INT8));
    }

    @Test
    void anInt8StoreIsAssembledAsInt8WithScalesAndTheSingleMachineBits() {
        SparkSweep sweep = sparkSweep(varied, SparkSweepTest::int8Rows, 0, 2);
        Path singleOut = tmp.resolve("single-int8");
        Path sparkOut = tmp.resolve("spark-int8");
        try (Result whole = single(varied, SparkSweepTest::int8Rows, 0, singleOut, OutputFormat.SAFETENSORS);
                Result merged = sweep.run(spark, sparkOut, OutputFormat.SAFETENSORS);
                SafetensorsFile expected = SafetensorsFile.open(singleOut.resolve("layer-1/residual_post.safetensors"));
                SafetensorsFile actual = SafetensorsFile.open(sparkOut.resolve("layer-1/residual_post.safetensors"))) {
            assertEquals(DType.I8, actual.require("activations").dtype(), "the run's int8 store, not F32");
            assertTrue(actual.find("scales").isPresent(), "int8 files carry their scales");
            for (String tensor : List.of("activations", "scales", "sample_ids")) {
                assertEquals(expected.require(tensor).dtype(), actual.require(tensor).dtype(), tensor + " dtype");
                assertArrayEquals(expected.require(tensor).shape(), actual.require(tensor).shape(), tensor + " shape");
                assertEquals(-1, expected.data(tensor).mismatch(actual.data(tensor)), tensor + " bytes differ from the single machine's");
            }
        }
    }

    @Test
    void bitEqualityIsAStrictCheckAnotherMicrobatchingChangesTheBits() {
        try (Result byDefault = single(varied, SparkSweepTest::layerOneReaders, 0, tmp.resolve("single-varied-default"));
                Result onePerBatch = single(varied, SparkSweepTest::layerOneReaders, 1, tmp.resolve("single-varied-mb1"))) {
            List<ActivationRow> a = rows(tmp.resolve("single-varied-default"));
            List<ActivationRow> b = rows(tmp.resolve("single-varied-mb1"));
            assertTrue(!bitIdentical(a, b), "one prompt per microbatch gave the same bits as the default microbatching");
            assertTrue(maxRelativeRowDifference(a, b) <= 1e-6, "yet the same values within 1e-6");
        }
    }

    private static List<Callback> steered() {
        float[] v = new float[64];
        v[3] = 2.5f;
        return List.of(SteerInBasis.at(Layers.of(0), new SteeringVector.Given(v)), RawActivations.at(Layers.of(1)));
    }

    @Test
    void aStatelessWriteCallbackRunsOnEveryShard() {
        try (Result plain = single(SparkSweepTest::readers, 0, tmp.resolve("unsteered"));
                Result whole = single(SparkSweepTest::steered, 0, tmp.resolve("single-steer"));
                Result merged = onSpark(SparkSweepTest::steered, 0, 2, tmp.resolve("spark-steer"))) {
            assertRowsClose(tmp.resolve("single-steer"), tmp.resolve("spark-steer"), 1e-6);
            // Both halves of the dataset were steered: the last sample (second shard) differs from the unsteered run.
            float[] steeredLast = rows(tmp.resolve("spark-steer")).get(SAMPLES - 1).vector(0);
            float[] plainLast = rows(tmp.resolve("unsteered")).get(SAMPLES - 1).vector(0);
            double diff = 0;
            for (int j = 0; j < plainLast.length; j++) {
                diff = Math.max(diff, Math.abs(steeredLast[j] - plainLast[j]));
            }
            assertTrue(diff > 1e-3, "the second shard was steered (max difference " + diff + ")");
        }
    }

    /** Counts first attempts it failed; static because Spark local mode runs tasks in this JVM. */
    private static final AtomicInteger FAILURES = new AtomicInteger();

    /** A stateless callback that fails partition 0's first attempt in the middle of layer 1. */
    static final class FailFirstAttempt implements Callback {
        @Override
        public LayerSelection layers() {
            return Layers.of(1);
        }

        @Override
        public Set<Hook> hooks() {
            return Set.of(Hook.RESIDUAL_POST);
        }

        @Override
        public boolean stateless() {
            return true;
        }

        @Override
        public CallbackAction onBatch(Batch batch) {
            TaskContext task = TaskContext.get();
            if (task.partitionId() == 0 && task.attemptNumber() == 0) {
                FAILURES.incrementAndGet();
                throw new IllegalStateException("simulated executor loss");
            }
            return CallbackAction.nothing();
        }
    }

    private static List<Callback> withFailure() {
        return List.of(RawActivations.at(Layers.of(1)), DiffOfMeans.at(Layers.of(1)), new FailFirstAttempt());
    }

    private static List<Callback> withoutFailure() {
        return List.of(RawActivations.at(Layers.of(1)), DiffOfMeans.at(Layers.of(1)));
    }

    @Test
    void aTaskThatFailsOnceIsRecomputedWithoutDuplicatingRowsOrSamples() {
        int before = FAILURES.get();
        try (Result whole = single(SparkSweepTest::withoutFailure, 1, tmp.resolve("single-retry"));
                Result merged = onSpark(SparkSweepTest::withFailure, 1, 2, tmp.resolve("spark-retry"))) {
            assertEquals(before + 1, FAILURES.get(), "partition 0 failed exactly once");
            assertEquals(SAMPLES, rows(tmp.resolve("spark-retry")).size());
            assertRowsClose(tmp.resolve("single-retry"), tmp.resolve("spark-retry"), 1e-6);
            Artifact means = merged.artifact(DiffOfMeans.KIND, 1);
            assertArrayEquals(i64(whole.artifact(DiffOfMeans.KIND, 1), "counts"), i64(means, "counts"));
            assertEquals(SAMPLES, i64(means, "counts")[0] + i64(means, "counts")[1]);
        }
    }

    /** A user's own stateful callback: counts samples and real tokens at layer 0, with a mergeable state. */
    static final class TokenCounter implements Callback {
        private long samples;
        private long tokens;

        @Override
        public LayerSelection layers() {
            return Layers.of(0);
        }

        @Override
        public Set<Hook> hooks() {
            return Set.of(Hook.RESIDUAL_POST);
        }

        @Override
        public CallbackAction onBatch(Batch batch) {
            for (int b = 0; b < batch.size(); b++) {
                samples++;
                tokens += batch.length(b);
            }
            return CallbackAction.nothing();
        }

        @Override
        public Optional<CallbackState> state() {
            return Optional.of(new CallbackState() {
                @Override
                public void write(DataOutput out) throws IOException {
                    out.writeLong(samples);
                    out.writeLong(tokens);
                }

                @Override
                public void restore(DataInput in) throws IOException {
                    samples = in.readLong();
                    tokens = in.readLong();
                }

                @Override
                public boolean mergeable() {
                    return true;
                }

                @Override
                public void merge(DataInput in) throws IOException {
                    samples += in.readLong();
                    tokens += in.readLong();
                }
            });
        }

        @Override
        public List<Artifact> onSweepEnd() {
            return List.of(new Artifact("token_count", OptionalInt.empty(), Optional.empty(),
                    Map.of("counts", new ArtifactTensor.I64(new long[] {2}, new long[] {samples, tokens})), Map.of()));
        }
    }

    @Test
    void aUserCallbacksMergeableStateIsMergedAcrossShards() {
        long expectedTokens = 0;
        try (var cursor = dataset.open()) {
            while (cursor.hasNext()) {
                expectedTokens += cursor.next().length();
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        try (Result merged = onSpark(() -> List.of(new TokenCounter(), RawActivations.at(Layers.of(0))), 0, 3,
                tmp.resolve("spark-user"))) {
            Artifact counts = merged.artifacts().stream().filter(a -> a.kind().equals("token_count")).findFirst().orElseThrow();
            assertArrayEquals(new long[] {SAMPLES, expectedTokens}, i64(counts, "counts"));
            assertTrue(Files.exists(tmp.resolve("spark-user/token_count.safetensors")));
        }
    }

    /** A mergeable callback that fails when the driver replays its sweep end, after the emits were assembled. */
    static final class FailOnTheDriver implements Callback {
        @Override
        public LayerSelection layers() {
            return Layers.of(1);
        }

        @Override
        public Set<Hook> hooks() {
            return Set.of(Hook.RESIDUAL_POST);
        }

        @Override
        public CallbackAction onBatch(Batch batch) {
            return CallbackAction.nothing();
        }

        @Override
        public Optional<CallbackState> state() {
            return Optional.of(new CallbackState() {
                @Override
                public void write(DataOutput out) {}

                @Override
                public void restore(DataInput in) {}

                @Override
                public boolean mergeable() {
                    return true;
                }

                @Override
                public void merge(DataInput in) {}
            });
        }

        @Override
        public List<Artifact> onSweepEnd() {
            if (TaskContext.get() == null) {
                throw new IllegalStateException("simulated failure in the driver's sweep end");
            }
            return List.of();
        }
    }

    private static Set<String> hiddenEntries(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return Set.of();
        }
        try (Stream<Path> list = Files.list(dir)) {
            return Set.copyOf(list.map(p -> p.getFileName().toString()).filter(name -> name.startsWith(".")).toList());
        }
    }

    @Test
    void theAssembledFilesLeaveNothingBehindAfterAnExportAfterCloseAndAfterAFailure() throws IOException {
        Path safetensorsOut = tmp.resolve("spark-clean-safetensors");
        try (Result r = sparkSweep(dataset, SparkSweepTest::readers, 0, 2).run(spark, safetensorsOut, OutputFormat.SAFETENSORS)) {
            assertEquals(Set.of(), hiddenEntries(safetensorsOut), "the export renamed the assembled files into place");
            assertEquals(SAMPLES, r.activations(1, Hook.RESIDUAL_POST).sampleCount());
        }
        Path arrowOut = tmp.resolve("spark-clean-arrow");
        try (Result r = onSpark(SparkSweepTest::readers, 0, 2, arrowOut)) {
            ActivationTable table = r.activations(1, Hook.RESIDUAL_POST);
            assertEquals(SAMPLES, table.sampleCount(), "the result still reads its rows");
            // Not in java.io.tmpdir (a directory there was orphaned, and another file system): beside the export.
            assertEquals(arrowOut.toAbsolutePath(), table.path().getParent(), "assembled in --out");
        }
        assertEquals(Set.of(), hiddenEntries(arrowOut), "closing the result deleted the assembled files");
        Path failedOut = tmp.resolve("spark-clean-failed");
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> onSpark(() -> List.of(RawActivations.at(Layers.of(1)), new FailOnTheDriver()), 0, 2, failedOut));
        assertTrue(e.getMessage().contains("driver's sweep end"), e.getMessage());
        assertEquals(Set.of(), hiddenEntries(failedOut), "a failed run removed what it had assembled");
    }

    @Test
    void anUnreadableModelFailsTheJobNamingThePathAndTheHost() throws IOException {
        Path missing = tmp.resolve("no-such-model");
        SparkSweep sweep = SparkSweep.builder().model(missing).dataset(dataset).callbacks(SparkSweepTest::readers).build();
        Exception e = assertThrows(Exception.class, () -> sweep.run(spark, tmp.resolve("spark-missing"), OutputFormat.ARROW));
        String host = InetAddress.getLocalHost().getHostName();
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains(host), e.getMessage());
    }

    @Test
    void anExecutorThatCannotReadTheModelNamesThePathAndItsHost() throws IOException {
        // The driver could read the model (it planned); this executor cannot.
        Path missing = tmp.resolve("not-on-this-executor");
        ShardTask task = new ShardTask(missing, SparkSweepTest::readers, new JournalEntry.Microbatching(4, 160, 0.8),
                tmp.resolve("staging-missing"));
        List<Prompt> shard = List.of(new Prompt(0, new int[] {1, 2, 3}, null));
        Exception e = assertThrows(ModelUnreadableException.class, () -> task.run(0, List.of(shard).iterator()));
        String host = InetAddress.getLocalHost().getHostName();
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("executor host " + host), e.getMessage());
    }
}
