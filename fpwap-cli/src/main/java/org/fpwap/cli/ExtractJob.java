package org.fpwap.cli;

import static java.util.Objects.requireNonNull;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.fpwap.callback.Callback;
import org.fpwap.callbacks.RawActivations;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.TextTokenizer;
import org.fpwap.model.ModelConfigReader;
import org.fpwap.result.OutputFormat;
import org.fpwap.result.Result;
import org.fpwap.result.RunManifest;
import org.fpwap.result.VerifyReport;
import org.fpwap.sweep.Plan;
import org.fpwap.sweep.ProgressListener;
import org.fpwap.sweep.Sweep;

/**
 * The {@code extract} job on the layer-streaming engine: one sweep with the requested callbacks
 * ({@link RawActivations} unless {@code --pool none}, and optionally PCA, diff-of-means and steering),
 * exported in the public layout, then {@code profile.json} and {@code manifest.json} (last). The sweep's
 * work directory is {@code OUT/.fpwap-work} (same file system, so exported safetensors are moved, not
 * copied) and is removed afterwards, whether the run succeeded or not.
 *
 * @param model the HF model directory
 * @param input the prompts (JSONL, or Arrow IPC)
 * @param out the output directory
 * @param callbacks what to compute
 * @param finalNorm HF {@code hidden_states[-1]} parity at the last layer
 * @param format the output format
 * @param microbatch prompts per microbatch, or 0 to let preflight choose
 * @param device the device name
 * @param deviceMemory the device memory budget in bytes, or 0 for the default
 * @param tokenizer a {@code tokenizer.json} when the input holds text prompts
 * @param addBos prepend the model's BOS token to text prompts
 * @param verify also run the naive schedule and compare bit for bit
 * @param options the options as the user gave them, for the manifest
 */
record ExtractJob(Path model, Path input, Path out, List<Callback> callbacks, boolean finalNorm, OutputFormat format,
        int microbatch, String device, long deviceMemory, Optional<Path> tokenizer, boolean addBos, boolean verify,
        JsonObject options) {

    /** The sweep's scratch directory inside the output directory (same file system: exports are moves). */
    static final String WORK_DIR = ".fpwap-work";

    ExtractJob {
        requireNonNull(model, "model is null");
        requireNonNull(input, "input is null");
        requireNonNull(out, "out is null");
        callbacks = List.copyOf(callbacks);
        options = options.deepCopy();
    }

    /**
     * What the run produced.
     *
     * @param files every file written, manifest last
     * @param summary lines to print
     * @param verification the verify outcome, if asked for
     */
    record Outcome(List<Path> files, List<String> summary, Optional<VerifyReport> verification) {}

    /** Runs the job, showing progress on {@code progress} (null: silent). */
    Outcome run(PrintWriter progress) {
        prepareOutputDirectory();
        RuntimeException failure = null;
        try (TextTokenizer textTokenizer = openTokenizer();
                ProgressPrinter printer = progress == null ? null : new ProgressPrinter(progress, ProgressPrinter.stdoutIsTerminal());
                Sweep sweep = sweep(textTokenizer, printer == null ? ProgressListener.NONE : printer)) {
            Result result = sweep.run();
            List<Path> files = new ArrayList<>(result.export(out, format));
            files.add(RunManifest.write(out, model, sweep.model(), options, result.sampleCount(),
                    result.profile().tokens(), files));
            List<String> summary = new ArrayList<>();
            summary.add(String.format(Locale.ROOT, "extracted %d prompts (%d tokens) in %.2f s (%.0f tok/s)",
                    result.sampleCount(), result.profile().tokens(), result.profile().wallSeconds(),
                    result.profile().tokensPerSecond()));
            summary.add(ProfileReport.render(result.profile(), sweep.model()));
            result.verification().ifPresent(v -> summary.add(v.summary()));
            return new Outcome(files, summary, result.verification());
        } catch (RuntimeException e) {
            failure = e;
            throw e;
        } finally {
            deleteWorkDir(failure);
        }
    }

    /** The plan {@code extract} would follow, with a measured time estimate; runs nothing. */
    Plan preflight() {
        RuntimeException failure = null;
        try (TextTokenizer textTokenizer = openTokenizer(); Sweep sweep = sweep(textTokenizer, ProgressListener.NONE)) {
            return sweep.preflight();
        } catch (RuntimeException e) {
            failure = e;
            throw e;
        } finally {
            deleteWorkDir(failure);
        }
    }

    private Sweep sweep(TextTokenizer textTokenizer, ProgressListener listener) {
        Sweep.Builder builder = Sweep.builder()
                .model(model)
                .dataset(textTokenizer != null ? Dataset.jsonlText(input, textTokenizer) : Dataset.fromFile(input))
                .callbacks(callbacks)
                .device(device)
                .finalNorm(finalNorm)
                .workDir(out.resolve(WORK_DIR))
                .exportFormat(format)
                .progress(listener)
                .verify(verify);
        if (microbatch > 0) {
            builder.microbatch(microbatch);
        }
        if (deviceMemory > 0) {
            builder.deviceMemory(deviceMemory);
        }
        return builder.build();
    }

    private TextTokenizer openTokenizer() {
        if (tokenizer.isEmpty()) {
            return null;
        }
        OptionalInt bos = addBos ? ModelConfigReader.bosTokenId(model) : OptionalInt.empty();
        return TextTokenizer.load(tokenizer.get(), addBos, bos);
    }

    private void prepareOutputDirectory() {
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the output directory " + out + ": " + e.getMessage(), e);
        }
        if (!Files.isWritable(out)) {
            throw new UncheckedIOException(new IOException("the output directory " + out + " is not writable"));
        }
    }

    /** Removes the work directory; after a failure, a cleanup error is attached to it rather than hiding it. */
    private void deleteWorkDir(RuntimeException failure) {
        try {
            deleteWorkDir();
        } catch (UncheckedIOException e) {
            if (failure == null) {
                throw e;
            }
            failure.addSuppressed(e);
        }
    }

    private void deleteWorkDir() {
        Path work = out.resolve(WORK_DIR);
        if (!Files.exists(work)) {
            return;
        }
        try (Stream<Path> files = Files.walk(work)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + work + ": " + e.getMessage(), e);
        }
    }
}
