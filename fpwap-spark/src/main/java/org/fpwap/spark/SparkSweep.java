package org.fpwap.spark;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.fpwap.callback.Artifact;
import org.fpwap.callback.Callback;
import org.fpwap.callback.CallbackState;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.Sample;
import org.fpwap.dataset.SampleCursor;
import org.fpwap.model.ModelFingerprint;
import org.fpwap.profile.Profile;
import org.fpwap.result.EmitStream;
import org.fpwap.result.OutputFormat;
import org.fpwap.result.Result;
import org.fpwap.run.JournalEntry;
import org.fpwap.sweep.Sweep;

/**
 * A data-parallel sweep on Apache Spark. The driver plans the microbatches one machine would run (same model, same
 * options, {@link Sweep#microbatching()}) and cuts them into at most {@code partitions} shards of whole microbatches
 * ({@link ShardPlan}); each Spark task runs the ordinary sweep over its shard with that microbatching (so an executor
 * loads each layer once per partition, from a model directory every executor can read, and every sample's
 * activations are those of one machine, bit for bit); Spark's {@code treeAggregate} merges the
 * callbacks' {@link CallbackState}s; the driver replays the layer ends on the merged states (so the artifacts
 * are those of the whole dataset) and places the shards' emitted rows in dataset order. The output directory has
 * the layout {@link Result#export} writes for a single sweep.
 *
 * <p>Every callback must have a {@linkplain CallbackState#mergeable() mergeable} state (the built-ins do;
 * stateless callbacks such as {@code RawActivations} and {@code SteerInBasis} merge trivially). The staging
 * directory, where tasks leave their emit shards, must be readable by the driver and writable by every executor. The
 * driver reads the model too (to plan).
 */
public final class SparkSweep {

    private final Path model;
    private final List<Prompt> prompts;
    private final CallbackFactory callbacks;
    private final int partitions;
    private final int microbatch;

    private SparkSweep(Builder b) {
        this.model = requireNonNull(b.model, "model is not set").toAbsolutePath();
        this.prompts = List.copyOf(requireNonNull(b.prompts, "dataset is not set"));
        this.callbacks = requireNonNull(b.callbacks, "callbacks are not set");
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("the dataset is empty");
        }
        this.partitions = Math.min(b.partitions, prompts.size());
        this.microbatch = b.microbatch;
        checkMergeable(callbacks.create());
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** At most this many shards (Spark partitions); fewer when the dataset has fewer microbatches. */
    public int partitions() {
        return partitions;
    }

    private static void checkMergeable(List<Callback> cbs) {
        for (Callback cb : cbs) {
            Optional<CallbackState> state = cb.state();
            if (state.isEmpty() || !state.get().mergeable()) {
                throw new IllegalArgumentException("callback " + cb.name() + " has " + (state.isEmpty() ? "no CallbackState"
                        : "a CallbackState that cannot merge") + "; a data-parallel sweep merges every callback's state across"
                        + " shards: implement Callback.state() with a mergeable CallbackState");
            }
        }
    }

    /**
     * Runs on {@code spark} and writes the merged result to {@code outDir} (staging shards under
     * {@code outDir/.spark-shards}, removed afterwards). The whole-dataset emit files are assembled in {@code outDir}
     * as hidden {@code .spark-emit-<k>.safetensors} files: a safetensors export renames them into place; after an
     * Arrow export the result keeps reading them and deletes them when closed. Returns the exported result; the
     * caller closes it.
     */
    public Result run(JavaSparkContext spark, Path outDir, OutputFormat format) {
        long started = System.nanoTime();
        Path out = outDir.toAbsolutePath();
        Path staging = out.resolve(".spark-shards");
        int n = prompts.size();
        int[] lengths = new int[n];
        OptionalLong[] labels = new OptionalLong[n];
        long tokens = 0;
        for (int i = 0; i < n; i++) {
            lengths[i] = prompts.get(i).tokens().length;
            labels[i] = prompts.get(i).optionalLabel();
            tokens += lengths[i];
        }
        ShardPlan plan = plan();
        // Partial merges do not need the fingerprint: they only restore, merge and write.
        StateMerger merger = new StateMerger(callbacks, model, n, tokens, "partial merge");
        ShardTask task = new ShardTask(model, callbacks, plan.microbatching(), staging);
        List<List<Prompt>> cut = new ArrayList<>();
        for (int k = 0; k < plan.shards(); k++) {
            List<Prompt> shard = new ArrayList<>();
            for (long id : plan.sampleIds(k)) {
                shard.add(prompts.get(Math.toIntExact(id)));
            }
            cut.add(shard);
        }
        Result result = null;
        boolean success = false;
        try {
            Files.createDirectories(staging);
            // As many slices as shards: Spark gives each partition exactly one shard.
            JavaRDD<ShardOutput> shards = spark.parallelize(cut, cut.size()).mapPartitionsWithIndex(task::run, true);
            Aggregate all = shards.treeAggregate(Aggregate.empty(), (agg, shard) -> agg.plus(shard, merger),
                    (a, b) -> a.combine(b, merger));
            ShardAssembler.checkCoverage(all.shards(), n);
            // Assembled beside the export (same file system): a safetensors export then renames them into place.
            Map<EmitStream, Path> emits = ShardAssembler.assemble(all.shards(), lengths, out);
            List<Artifact> artifacts = finish(new StateMerger(callbacks, model, n, tokens, ModelFingerprint.of(model)), all.states());
            Profile profile = profile(all.shards(), tokens, (System.nanoTime() - started) / 1e9);
            result = new Result(emits, artifacts, profile, Optional.empty(), labels);
            result.export(out, format);
            success = true;
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to " + out + ": " + e.getMessage(), e);
        } finally {
            ShardTask.deleteTree(staging);
            if (!success) {
                discard(result, out);
            }
        }
    }

    /**
     * After a failure: closes the result (which deletes the assembled files it still owns) and deletes any assembled
     * file made before the result existed. Cleanup errors are dropped so that the run's own failure is the one seen.
     */
    private static void discard(Result result, Path out) {
        try {
            if (result != null) {
                result.close();
            }
        } catch (RuntimeException ignored) {
            // The original failure is the useful one; the files below are still removed.
        }
        try {
            ShardAssembler.deleteAssembled(out);
        } catch (RuntimeException ignored) {
            // As above: the run's failure is reported, not the cleanup's.
        }
    }

    /**
     * The driver's plan: the microbatching a single sweep of the whole dataset would use, and its microbatches dealt
     * into shards. Reads the model (config and tensor headers, and a throughput probe unless the microbatch size is
     * fixed), so the driver must be able to read it.
     */
    ShardPlan plan() {
        if (!Files.isReadable(model.resolve("config.json"))) {
            throw new ModelUnreadableException("model directory " + model + " is not readable on the driver (host "
                    + ShardTask.hostName() + ", no readable config.json): the driver plans the microbatches from the model,"
                    + " so it must read the same path as every executor (a shared file system or the same path on every node)");
        }
        List<Sample> samples = prompts.stream().map(p -> p.toSample(p.id())).toList();
        Sweep.Builder b = Sweep.builder().model(model).dataset(Dataset.of(samples)).callbacks(callbacks.create());
        JournalEntry.Microbatching microbatching;
        try (Sweep sweep = (microbatch > 0 ? b.microbatch(microbatch) : b).build()) {
            microbatching = sweep.microbatching();
        }
        return ShardPlan.of(prompts.stream().mapToInt(p -> p.tokens().length).toArray(), microbatching, partitions);
    }

    /** Replays every layer end, then the sweep end, on the merged states, in the order a single sweep calls them. */
    private static List<Artifact> finish(StateMerger merger, List<CapturedState> states) throws IOException {
        List<Callback> cbs = merger.startedCallbacks();
        List<Artifact> artifacts = new ArrayList<>();
        List<Integer> order = states.stream().flatMap(s -> s.layers().stream()).distinct().sorted().toList();
        for (int layer : order) {
            for (int i = 0; i < cbs.size(); i++) {
                int k = states.get(i).layers().indexOf(layer);
                if (k >= 0) {
                    cbs.get(i).state().orElseThrow().restore(StateMerger.in(states.get(i).atLayerEnd().get(k)));
                    artifacts.addAll(cbs.get(i).onLayerEnd(layer));
                }
            }
        }
        for (int i = 0; i < cbs.size(); i++) {
            cbs.get(i).state().orElseThrow().restore(StateMerger.in(states.get(i).atSweepEnd()));
            artifacts.addAll(cbs.get(i).onSweepEnd());
        }
        return artifacts;
    }

    private static Profile profile(List<ShardOutput> shards, long tokens, double wallSeconds) {
        long weights = 0;
        long residualRead = 0;
        long residualWritten = 0;
        long emitted = 0;
        for (ShardOutput s : shards) {
            weights += s.weightBytesRead();
            residualRead += s.residualBytesRead();
            residualWritten += s.residualBytesWritten();
            emitted += s.emittedBytes();
        }
        // Per-layer timings live on the executors; the merged profile keeps the totals that add up across shards.
        return new Profile(tokens, wallSeconds, 0, weights, residualRead, residualWritten, emitted, List.of());
    }

    /**
     * A local Spark context for {@code master} (e.g. {@code local[2]}; {@code local[2,3]} retries a failed task up
     * to 3 times), with the web UI off. The caller closes it.
     */
    public static JavaSparkContext localContext(String master, String appName) {
        return new JavaSparkContext(new SparkConf().setMaster(master).setAppName(appName).set("spark.ui.enabled", "false"));
    }

    /** Builds a {@link SparkSweep}. */
    public static final class Builder {
        private Path model;
        private List<Prompt> prompts;
        private CallbackFactory callbacks;
        private int partitions = 2;
        private int microbatch;

        private Builder() {}

        /** The model directory; the same path must be readable on every executor and on the driver. */
        public Builder model(Path dir) {
            this.model = dir;
            return this;
        }

        /** The dataset, read once on the driver (token ids are small next to activations). */
        public Builder dataset(Dataset dataset) {
            List<Prompt> all = new ArrayList<>();
            try (SampleCursor cursor = dataset.open()) {
                cursor.forEachRemaining(s -> all.add(Prompt.of(s)));
            } catch (Exception e) {
                if (e instanceof RuntimeException r) {
                    throw r;
                }
                throw new IllegalStateException("cannot read " + dataset.description() + ": " + e.getMessage(), e);
            }
            this.prompts = all;
            return this;
        }

        /** The callbacks, made afresh on every JVM that needs them. */
        public Builder callbacks(CallbackFactory factory) {
            this.callbacks = factory;
            return this;
        }

        /** At most how many shards (Spark partitions) of whole microbatches to cut the dataset into; default 2. */
        public Builder partitions(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("partitions must be at least 1, got " + count);
            }
            this.partitions = count;
            return this;
        }

        /** At most this many samples per microbatch, as {@link Sweep.Builder#microbatch} (default: a single sweep's own choice). */
        public Builder microbatch(int samples) {
            if (samples < 1) {
                throw new IllegalArgumentException("microbatch must be at least 1, got " + samples);
            }
            this.microbatch = samples;
            return this;
        }

        /** The sweep. */
        public SparkSweep build() {
            return new SparkSweep(this);
        }
    }
}
