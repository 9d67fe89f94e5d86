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
import org.fpwap.sweep.Sweep;

/**
 * One Spark task: runs the ordinary {@link Sweep} over its partition's contiguous range of samples (each layer
 * loaded once for the range) and leaves its emit files in a staging directory of its own attempt.
 */
final class ShardTask implements Serializable {

    private final String modelDir;
    private final CallbackFactory factory;
    private final int microbatch;
    private final String stagingDir;

    ShardTask(Path modelDir, CallbackFactory factory, int microbatch, Path stagingDir) {
        this.modelDir = modelDir.toString();
        this.factory = factory;
        this.microbatch = microbatch;
        this.stagingDir = stagingDir.toString();
    }

    /** Runs the partition's prompts (consecutive dataset ids). */
    Iterator<ShardOutput> run(int partition, Iterator<Prompt> prompts) {
        List<Sample> samples = new ArrayList<>();
        long first = -1;
        long tokens = 0;
        while (prompts.hasNext()) {
            Prompt p = prompts.next();
            if (first < 0) {
                first = p.id();
            } else if (p.id() != first + samples.size()) {
                throw new IllegalStateException("partition " + partition + " holds sample " + p.id() + " after "
                        + (first + samples.size() - 1) + "; partitions must be contiguous ranges");
            }
            samples.add(p.toSample(samples.size()));
            tokens += p.tokens().length;
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
        List<StateCapture> captures = factory.create().stream().map(StateCapture::new).toList();
        Path work = createTempDirectory();
        Path shardDir = Path.of(stagingDir, "part-%05d-attempt-%d".formatted(partition, attempt));
        try (Sweep sweep = configure(Sweep.builder().model(model).dataset(Dataset.of(samples)).workDir(work.resolve("sweep"))
                .callbacks(captures.stream().map(c -> (Callback) c).toList())).build();
                Result result = sweep.run()) {
            List<EmitStream> streams = result.streams();
            List<Path> files = result.export(shardDir, OutputFormat.SAFETENSORS);
            List<ShardOutput.StreamFile> streamFiles = new ArrayList<>();
            for (int i = 0; i < streams.size(); i++) {
                EmitStream s = streams.get(i);
                streamFiles.add(new ShardOutput.StreamFile(s.callback(), s.layer(), s.hook().wireName(), files.get(i).toString()));
            }
            Profile profile = result.profile();
            return List.of(new ShardOutput(partition, attempt, host, first, samples.size(), tokens, streamFiles,
                    captures.stream().map(StateCapture::captured).toList(), profile.weightBytesRead(), profile.residualBytesRead(),
                    profile.residualBytesWritten(), profile.emittedBytes())).iterator();
        } finally {
            deleteTree(work);
        }
    }

    private Sweep.Builder configure(Sweep.Builder builder) {
        return microbatch > 0 ? builder.microbatch(microbatch) : builder;
    }

    private static String hostName() {
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
