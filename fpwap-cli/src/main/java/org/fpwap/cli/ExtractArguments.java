package org.fpwap.cli;

import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
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
    private final CommandLine.ParseResult parsed;

    private ExtractArguments(RunOptions options, CommandLine.ParseResult parsed) {
        this.options = options;
        this.parsed = parsed;
    }

    /**
     * Parses {@code extract}'s arguments.
     *
     * @throws IllegalArgumentException naming the option that is missing, unknown or malformed
     */
    public static ExtractArguments parse(String... args) {
        Holder holder = new Holder();
        CommandLine.ParseResult parsed;
        try {
            parsed = new CommandLine(holder).parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return new ExtractArguments(holder.options, parsed);
    }

    /**
     * Refuses the arguments if they name any of these options (each by its longest name; a negatable option's
     * {@code --no-} form counts as the option), so that a launcher that ignores an option says so instead of
     * recording it in the manifest as if it had been honoured.
     *
     * @param launcher what ignores the options, for the message (e.g. {@code fpwap-spark})
     * @throws IllegalArgumentException naming the first such option given
     */
    public void refuse(Set<String> unsupported, String launcher) {
        for (CommandLine.Model.OptionSpec option : parsed.matchedOptions()) {
            if (unsupported.contains(option.longestName())) {
                String given = option.negatable() ? option.longestName() + "/" + option.longestName().replaceFirst("^--", "--no-")
                        : option.longestName();
                throw new IllegalArgumentException(given + " is not supported by " + launcher + "; leave it out");
            }
        }
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
