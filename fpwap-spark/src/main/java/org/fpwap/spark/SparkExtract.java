package org.fpwap.spark;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.fpwap.cli.ExtractArguments;
import org.fpwap.model.ModelConfigReader;
import org.fpwap.result.Result;
import org.fpwap.result.RunManifest;

/**
 * {@code fpwap extract} on Spark: the same options plus {@code --spark MASTER} (e.g. {@code local[2]}, or omitted
 * under {@code spark-submit}, which sets the master) and {@code --partitions N} (default: Spark's default
 * parallelism). Writes the same output directory, {@code manifest.json} included. A separate main class so that
 * Spark stays off the plain CLI's class path.
 */
public final class SparkExtract {

    /**
     * {@code extract} options a Spark run does not honour: refused rather than silently dropped (the manifest would
     * record them as if they had applied).
     */
    static final Set<String> UNSUPPORTED = Set.of("--final-norm", "--device", "--device-memory", "--verify", "--tokenizer",
            "--add-bos", "--revision");

    private SparkExtract() {}

    /** Runs and exits: 0 on success, 1 with one message on stderr on failure. */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs; returns the exit status. */
    static int run(String[] args) {
        return run(args, System.err);
    }

    /** Runs, reporting a failure's reason on {@code err}; returns the exit status. */
    static int run(String[] args, PrintStream err) {
        List<String> rest = new ArrayList<>();
        String master = null;
        int partitions = 0;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--spark" -> master = value(args, ++i, "--spark");
                    case "--partitions" -> partitions = Integer.parseInt(value(args, ++i, "--partitions"));
                    default -> rest.add(args[i]);
                }
            }
            String[] extractArgs = rest.toArray(String[]::new);
            ExtractArguments options = ExtractArguments.parse(extractArgs);
            options.refuse(UNSUPPORTED, "fpwap-spark");
            CallbackFactory callbacks = () -> ExtractArguments.parse(extractArgs).callbacks();
            Path model = options.modelDirectory();
            SparkConf conf = new SparkConf().setAppName("fpwap extract").setIfMissing("spark.ui.enabled", "false");
            if (master != null) {
                conf.setMaster(master);
            }
            try (JavaSparkContext spark = new JavaSparkContext(conf)) {
                SparkSweep.Builder b = SparkSweep.builder().model(model).dataset(options.dataset()).callbacks(callbacks)
                        .partitions(partitions > 0 ? partitions : spark.defaultParallelism());
                options.microbatch().ifPresent(b::microbatch);
                SparkSweep sweep = b.build();
                Path out = options.out().toAbsolutePath();
                try (Result result = sweep.run(spark, out, options.format())) {
                    List<Path> files = files(out);
                    RunManifest.write(out, model, ModelConfigReader.read(model), options.manifestOptions(), result.sampleCount(),
                            result.profile().tokens(), files);
                    if (!options.quiet()) {
                        System.out.printf("fpwap-spark: %d samples in at most %d partitions, %.1f s, %.0f tok/s -> %s%n",
                                result.sampleCount(), sweep.partitions(), result.profile().wallSeconds(),
                                result.profile().tokensPerSecond(), out);
                    }
                }
            }
            return 0;
        } catch (RuntimeException | IOException e) {
            err.println("fpwap-spark: " + message(e));
            return 1;
        }
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private static List<Path> files(Path out) throws IOException {
        try (Stream<Path> walk = Files.walk(out)) {
            // Hidden files are not outputs: the assembled emit files an Arrow-exported result still reads until closed.
            return walk.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
        }
    }

    /** The innermost cause's message: Spark wraps an executor's error in a job-abort message with a stack trace. */
    static String message(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage() == null ? t.toString() : t.getMessage();
        int trace = m.indexOf("\nDriver stacktrace");
        return trace >= 0 ? m.substring(0, trace) : m;
    }
}
