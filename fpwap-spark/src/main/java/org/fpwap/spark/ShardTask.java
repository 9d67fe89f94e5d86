package org.fpwap.spark;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.TaskContext;
import org.fpwap.callback.Callback;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.Sample;
import org.fpwap.profile.Profile;
import org.fpwap.result.EmitStream;
import org.fpwap.result.OutputFormat;
import org.fpwap.result.Result;
import org.fpwap.run.JournalEntry;
import org.fpwap.sweep.Sweep;

/**
 * One Spark task: runs the ordinary {@link Sweep} over its shard (whole microbatches of the single-machine plan, see
 * {@link ShardPlan}; each layer loaded once for the shard) with the single-machine microbatching and no probe, and
 * leaves its emit files in a staging directory of its own attempt.
 */
final class ShardTask implements Serializable {

    private final String modelDir;
    private final CallbackFactory factory;
    // The microbatching's parts: the record itself is not serializable.
    private final int microbatchSamples;
    private final long tokenBudget;
    private final double minFill;
    private final String stagingDir;

    ShardTask(Path modelDir, CallbackFactory factory, JournalEntry.Microbatching microbatching, Path stagingDir) {
        this.modelDir = modelDir.toString();
        this.factory = factory;
        this.microbatchSamples = microbatching.samples();
        this.tokenBudget = microbatching.tokenBudget();
        this.minFill = microbatching.minFill();
        this.stagingDir = stagingDir.toString();
    }

    /** Runs the partition's shards (one per partition), each a list of prompts in any order. */
    Iterator<ShardOutput> run(int partition, Iterator<List<Prompt>> shards) {
        List<Prompt> prompts = new ArrayList<>();
        shards.forEachRemaining(prompts::addAll);
        // Shard-local ids in global id order: the shard's sort (length, then id) is then the global one restricted to it.
        prompts.sort(Comparator.comparingLong(Prompt::id));
        List<Sample> samples = new ArrayList<>();
        long[] ids = new long[prompts.size()];
        for (Prompt p : prompts) {
            ids[samples.size()] = p.id();
            samples.add(p.toSample(samples.size()));
        }
        if (samples.isEmpty()) {
            return List.<ShardOutput>of().iterator();
        }
        Path model = Path.of(modelDir);
        String host = hostName();
        if (!Files.isReadable(model.resolve("config.json"))) {
            throw new ModelUnreadableException("model directory " + model + " is not readable on executor host " + host
                    + " (no readable config.json): put the model where every executor can read it (a shared file system"
                    + " or the same path on every node)");
        }
        TaskContext task = TaskContext.get();
        int attempt = task == null ? 0 : task.attemptNumber();
        List<StateCapture> captures = factory.create().stream().map(StateCapture::of).toList();
        Path work = createTempDirectory();
        Path shardDir = Path.of(stagingDir, "part-%05d-attempt-%d".formatted(partition, attempt));
        try (Sweep sweep = Sweep.builder().model(model).dataset(Dataset.of(samples)).workDir(work.resolve("sweep"))
                .microbatching(new JournalEntry.Microbatching(microbatchSamples, tokenBudget, minFill))
                .callbacks(captures.stream().map(c -> (Callback) c).toList()).build();
                Result result = sweep.run()) {
            List<EmitStream> streams = result.streams();
            List<Path> files = result.export(shardDir, OutputFormat.SAFETENSORS);
            List<ShardOutput.StreamFile> streamFiles = new ArrayList<>();
            for (int i = 0; i < streams.size(); i++) {
                EmitStream s = streams.get(i);
                streamFiles.add(new ShardOutput.StreamFile(s.callback(), s.layer(), s.hook().wireName(), files.get(i).toString()));
            }
            Profile profile = result.profile();
            return List.of(new ShardOutput(partition, attempt, host, ids, streamFiles,
                    captures.stream().map(StateCapture::captured).toList(), profile.weightBytesRead(), profile.residualBytesRead(),
                    profile.residualBytesWritten(), profile.emittedBytes())).iterator();
        } finally {
            deleteTree(work);
        }
    }

    static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown host (" + e.getMessage() + ")";
        }
    }

    private static Path createTempDirectory() {
        try {
            return Files.createTempDirectory("fpwap-shard-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a scratch directory in " + System.getProperty("java.io.tmpdir")
                    + " on executor host " + hostName() + ": " + e.getMessage(), e);
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir + ": " + e.getMessage(), e);
        }
    }
}
