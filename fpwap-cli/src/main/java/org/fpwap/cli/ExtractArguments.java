package org.fpwap.cli;

import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.fpwap.callback.Callback;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.PromptFiles;
import org.fpwap.result.OutputFormat;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code fpwap extract}'s options parsed outside the CLI, for launchers that run the same job elsewhere (the
 * Spark main class re-parses the same arguments on every executor to make its callbacks). Only the options a
 * distributed run supports are exposed: a model directory (not a hub id) and prompts as token ids.
 */
public final class ExtractArguments {

    @Command(name = "extract")
    static final class Holder {
        @Mixin
        RunOptions options;
    }

    private final RunOptions options;

    private ExtractArguments(RunOptions options) {
        this.options = options;
    }

    /**
     * Parses {@code extract}'s arguments.
     *
     * @throws IllegalArgumentException naming the option that is missing, unknown or malformed
     */
    public static ExtractArguments parse(String... args) {
        Holder holder = new Holder();
        try {
            new CommandLine(holder).parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return new ExtractArguments(holder.options);
    }

    /** {@code --model}, which must be a directory (the same path on every machine of a distributed run). */
    public Path modelDirectory() {
        Path dir = Path.of(options.model).toAbsolutePath();
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("--model " + options.model + " is not a directory; a distributed run needs a "
                    + "model directory every executor can read (Hugging Face ids are resolved on one machine only)");
        }
        return dir;
    }

    /** {@code --input} as a dataset of token ids. */
    public Dataset dataset() {
        if (PromptFiles.holdsText(options.input)) {
            throw new IllegalArgumentException("--input " + options.input + " holds text; a distributed run takes token ids "
                    + "(input_ids): tokenize first");
        }
        return Dataset.fromFile(options.input);
    }

    /** {@code --out}. */
    public Path out() {
        return options.out;
    }

    /** {@code --format}. */
    public OutputFormat format() {
        return RunOptions.parseFormat(options.format);
    }

    /** {@code --microbatch}, if given. */
    public OptionalInt microbatch() {
        return options.microbatch == null ? OptionalInt.empty() : OptionalInt.of(options.microbatch);
    }

    /** {@code --quiet}. */
    public boolean quiet() {
        return options.quiet;
    }

    /** The callbacks the options ask for, as {@code fpwap extract} makes them. */
    public List<Callback> callbacks() {
        return options.callbacks();
    }

    /** The options as given, for {@code manifest.json}. */
    public JsonObject manifestOptions() {
        return options.manifestOptions();
    }
}
