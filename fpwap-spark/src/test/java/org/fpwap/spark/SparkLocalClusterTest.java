package org.fpwap.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.fpwap.callback.Batch;
import org.fpwap.callback.Callback;
import org.fpwap.callback.CallbackAction;
import org.fpwap.callback.LayerSelection;
import org.fpwap.callback.Layers;
import org.fpwap.callbacks.DiffOfMeans;
import org.fpwap.callbacks.RawActivations;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.Sample;
import org.fpwap.forward.Hook;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.result.ActivationRow;
import org.fpwap.result.ArrowActivationReader;
import org.fpwap.result.OutputFormat;
import org.fpwap.result.Result;
import org.fpwap.sweep.Sweep;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sweep on Spark's {@code local-cluster[2,1,1024]} master: a standalone Master and two Workers inside this JVM, each
 * Worker launching its executor as a separate {@code java} process that deserializes the tasks and loads the model
 * itself, as on a cluster. The tasks must run in at least two processes other than this one, and the rows must be
 * bit-identical to the single-machine sweep's.
 *
 * <p>Spark 4.0.1's executor runs as the Spark user through Hadoop's {@code UserGroupInformation.getCurrentUser}.
 * The Hadoop 3.4.1 that Spark brings calls {@code Subject.getSubject} there, which throws unconditionally since Java 24
 * (JEP 486), so every executor died at start-up and the Worker relaunched it without end. fpwap-spark therefore
 * depends on Hadoop 3.5.0, which calls {@code Subject.current()} instead (HADOOP-19212); another test pins that.
 */
class SparkLocalClusterTest {

    private static final int SAMPLES = 48;
    private static final int MICROBATCH = 4;

    @TempDir
    Path tmp;

    /** A stateless callback that records the pid of the process each Spark task ran in (one empty file per task and pid). */
    static final class PidRecorder implements Callback {
        private final String dir;

        PidRecorder(String dir) {
            this.dir = dir;
        }

        @Override
        public LayerSelection layers() {
            return Layers.of(0);
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
            if (task != null) {
                Path file = Path.of(dir, "pid-" + ProcessHandle.current().pid() + "-partition-" + task.partitionId());
                try {
                    Files.writeString(file, "");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return CallbackAction.nothing();
        }
    }

    private static List<Callback> readers() {
        return List.of(RawActivations.at(Layers.of(1)), DiffOfMeans.at(Layers.of(1)));
    }

    /**
     * The Spark home a Worker needs to build its executor's command: the launcher wants {@code jars/} (empty here: the
     * class path comes from {@code spark.executor.extraClassPath}) and a Scala version, which it reads from the build
     * directory {@code launcher/target/scala-2.13} when {@code SPARK_SCALA_VERSION} is unset.
     */
    private static Path sparkHome(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("jars"));
        Files.createDirectories(dir.resolve("launcher/target/scala-2.13"));
        return dir;
    }

    /** This JVM's Java 25 flags (fpwap's, from the surefire argLine), without heap sizes: Spark sets the executor's. */
    private static String executorJavaOptions() {
        return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--") || a.startsWith("-Dai.djl.")).collect(Collectors.joining(" "));
    }

    private static JavaSparkContext localCluster(Path sparkHome) {
        SparkConf conf = new SparkConf(false).setMaster("local-cluster[2,1,1024]").setAppName("SparkLocalClusterTest")
                .set("spark.ui.enabled", "false")
                .set("spark.executor.extraClassPath", System.getProperty("java.class.path"))
                .set("spark.executor.extraJavaOptions", executorJavaOptions())
                .set("spark.executorEnv.SPARK_USER", "fpwap")
                .set("spark.executorEnv.JAVA_HOME", System.getProperty("java.home"))
                // Start the job only once both executors have registered, so both can take tasks.
                .set("spark.scheduler.minRegisteredResourcesRatio", "1.0")
                .set("spark.scheduler.maxRegisteredResourcesWaitingTime", "120s");
        // A Worker takes its Spark home from SPARK_HOME, or, in Spark's testing mode, from spark.test.home; a test
        // cannot set an environment variable, so it sets both properties while the in-JVM Workers are built (SparkConf
        // above was made without them, so neither reaches the executors).
        System.setProperty("spark.testing", "true");
        System.setProperty("spark.test.home", sparkHome.toString());
        try {
            return new JavaSparkContext(conf);
        } finally {
            System.clearProperty("spark.testing");
            System.clearProperty("spark.test.home");
        }
    }

    private static List<ActivationRow> rows(Path out) throws IOException {
        try (ArrowActivationReader reader = ArrowActivationReader.open(out.resolve("layer-1/residual_post.arrow"))) {
            return reader.readAll();
        }
    }

    @Test
    void hadoopNamesTheCurrentUserOnThisJavaAsEveryExecutorAsksItTo() throws IOException {
        // With Spark's own Hadoop 3.4.1 this threw UnsupportedOperationException("getSubject is not supported").
        assertFalse(UserGroupInformation.getCurrentUser().getShortUserName().isEmpty());
    }

    @Test
    // An executor that cannot start is relaunched without end and the job waits: fail instead.
    @Timeout(value = 240, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void executorsInSeparateProcessesGiveTheSingleMachineRowsBitForBit() throws IOException {
        Path model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(2).build(), model);
        Random random = new Random(29);
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < SAMPLES; i++) {
            samples.add(new Sample(i, random.ints(2 + random.nextInt(20), 0, 128).toArray(), OptionalLong.of(i % 2)));
        }
        Dataset dataset = Dataset.of(samples);
        Path pids = Files.createDirectories(tmp.resolve("pids"));
        String pidDir = pids.toString(); // the callback factory is serialized: a Path is not Serializable

        try (Sweep sweep = Sweep.builder().model(model).dataset(dataset).workDir(tmp.resolve("work")).microbatch(MICROBATCH)
                .callbacks(readers()).build();
                Result single = sweep.run()) {
            single.export(tmp.resolve("single"), OutputFormat.ARROW);
        }
        long driverPid = ProcessHandle.current().pid();
        long started = System.nanoTime();
        try (JavaSparkContext spark = localCluster(sparkHome(tmp.resolve("spark-home")))) {
            SparkSweep sparkSweep = SparkSweep.builder().model(model).dataset(dataset).microbatch(MICROBATCH).partitions(4)
                    .callbacks(() -> {
                        List<Callback> cbs = new ArrayList<>(readers());
                        cbs.add(new PidRecorder(pidDir));
                        return cbs;
                    }).build();
            try (Result merged = sparkSweep.run(spark, tmp.resolve("cluster"), OutputFormat.ARROW)) {
                assertEquals(SAMPLES, merged.sampleCount());
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;

        Set<Long> executorPids = new TreeSet<>();
        Set<Integer> partitions = new TreeSet<>();
        try (Stream<Path> files = Files.list(pids)) {
            for (Path f : files.toList()) {
                String[] parts = f.getFileName().toString().split("-");
                executorPids.add(Long.parseLong(parts[1]));
                partitions.add(Integer.parseInt(parts[3]));
            }
        }
        assertEquals(Set.of(0, 1, 2, 3), partitions, "every partition recorded the process it ran in");
        assertFalse(executorPids.contains(driverPid), "a task ran in the driver's process " + driverPid + ": " + executorPids);
        assertTrue(executorPids.size() >= 2, "tasks ran in " + executorPids.size() + " executor process(es): " + executorPids);

        List<ActivationRow> expected = rows(tmp.resolve("single"));
        List<ActivationRow> actual = rows(tmp.resolve("cluster"));
        assertEquals(SAMPLES, expected.size());
        assertEquals(SAMPLES, actual.size());
        for (int i = 0; i < SAMPLES; i++) {
            assertEquals(i, actual.get(i).sampleId(), "dataset order");
            float[][] e = expected.get(i).vectors();
            float[][] a = actual.get(i).vectors();
            assertEquals(e.length, a.length, "sample " + i + " tokens");
            for (int t = 0; t < e.length; t++) {
                for (int j = 0; j < e[t].length; j++) {
                    assertEquals(Float.floatToRawIntBits(e[t][j]), Float.floatToRawIntBits(a[t][j]),
                            "sample " + i + " token " + t + " dim " + j + ": not bit-identical");
                }
            }
        }
        System.out.printf(java.util.Locale.ROOT, "local-cluster[2,1,1024]: driver pid %d, executor pids %s, partitions %s;"
                + " context start + sweep + stop %.1f s%n", driverPid, executorPids, partitions, seconds);
    }
}
