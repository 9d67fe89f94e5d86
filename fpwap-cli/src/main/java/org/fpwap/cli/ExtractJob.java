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
import java.util.stream.Stream;
import org.fpwap.callback.Callback;
import org.fpwap.callbacks.RawActivations;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.ModelTokenizer;
import org.fpwap.dataset.PromptFiles;
import org.fpwap.dataset.TextTokenizer;
import org.fpwap.model.ModelConfigReader;
import org.fpwap.result.OutputFormat;
import org.fpwap.result.Result;
import org.fpwap.result.RunManifest;
import org.fpwap.result.VerifyReport;
import org.fpwap.run.FaultPoint;
import org.fpwap.run.Journal;
import org.fpwap.run.RunLock;
import org.fpwap.run.StopToken;
import org.fpwap.sweep.Plan;
import org.fpwap.sweep.ProgressListener;
import org.fpwap.sweep.Sweep;

/**
 * The {@code extract} job on the layer-streaming engine: one sweep with the requested callbacks
 * ({@link RawActivations} unless {@code --pool none}, and optionally PCA, diff-of-means and steering),
 * exported in the public layout, then {@code profile.json} and {@code manifest.json} (last). The sweep's
 * work directory is {@code OUT/.fpwap-work} (same file system, so exported safetensors are moved, not
 * copied); it holds the run's journal and is removed after a successful run, and after a failed one that
 * committed nothing; otherwise it is kept so {@code --resume} can continue.
 *
 * @param model the HF model directory (a cache snapshot for a Hugging Face id)
 * @param input the prompts (JSONL, or Arrow IPC)
 * @param out the output directory
 * @param callbacks what to compute
 * @param finalNorm HF {@code hidden_states[-1]} parity at the last layer
 * @param format the output format
 * @param microbatch prompts per microbatch, or 0 to let preflight choose
 * @param device the device name
 * @param deviceMemory the device memory budget in bytes, or 0 for the default
 * @param tokenizer a {@code tokenizer.json} for text prompts (default: the one beside the model, when the input holds text)
 * @param addBos prepend the BOS token to text prompts, or not (default: the tokenizer config's {@code add_bos_token})
 * @param verify also run the naive schedule and compare bit for bit
 * @param options the options as the user gave them, for the manifest
 */
record ExtractJob(Path model, Path input, Path out, List<Callback> callbacks, boolean finalNorm, OutputFormat format,
        int microbatch, String device, long deviceMemory, Optional<Path> tokenizer, Optional<Boolean> addBos, boolean verify,
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

    /**
     * Runs the job, showing progress on {@code progress} (null: silent). The output directory is locked for the
     * run's length and readied as {@code existing} says; the sweep keeps a journal in the work directory, which
     * is removed once the manifest is written, and kept (resumable) when the run stops or fails after its first
     * commit.
     */
    Outcome run(PrintWriter progress, ExistingOutput existing, StopToken stop) {
        NewDirectory created = NewDirectory.before(out);
        boolean success = false;
        try {
            prepareOutputDirectory();
            try (RunLock lock = RunLock.acquire(out)) {
                existing.prepare(out, out.resolve(WORK_DIR));
                RuntimeException failure = null;
                try {
                    Outcome outcome = runLocked(progress, existing, stop);
                    deleteWorkDir();
                    success = true;
                    return outcome;
                } catch (RuntimeException e) {
                    failure = e;
                    throw e;
                } finally {
                    if (!Journal.exists(out.resolve(WORK_DIR))) {
                        // A failed clean-up must not hide the run's own error.
                        deleteWorkDir(failure);
                    }
                }
            }
        } finally {
            if (!success) {
                // Bad input found before anything was written leaves no new directory behind.
                created.removeIfStillEmpty();
            }
        }
    }

    private Outcome runLocked(PrintWriter progress, ExistingOutput existing, StopToken stop) {
        try (TextTokenizer textTokenizer = openTokenizer();
                ProgressPrinter printer = progress == null ? null : new ProgressPrinter(progress, ProgressPrinter.stdoutIsTerminal());
                Sweep sweep = resumable(sweepBuilder(textTokenizer, printer == null ? ProgressListener.NONE : printer),
                        existing == ExistingOutput.RESUME, stop).build()) {
            Result result = sweep.run();
            FaultPoint.reach("export");
            List<Path> files = new ArrayList<>(result.export(out, format));
            JsonObject manifestOptions = options.deepCopy();
            if (textTokenizer != null) {
                manifestOptions.addProperty("tokenizer_used", textTokenizer.source().toAbsolutePath().toString());
                manifestOptions.addProperty("bos_token_id", textTokenizer.bosTokenId().isPresent()
                        ? textTokenizer.bosTokenId().getAsInt() : null);
            }
            FaultPoint.reach("manifest");
            files.add(RunManifest.write(out, model, sweep.model(), manifestOptions, result.sampleCount(),
                    result.profile().tokens(), files));
            List<String> summary = new ArrayList<>();
            summary.add(String.format(Locale.ROOT, "extracted %d prompts (%d tokens) in %.2f s (%.0f tok/s)",
                    result.sampleCount(), result.profile().tokens(), result.profile().wallSeconds(),
                    result.profile().tokensPerSecond()));
            summary.add(ProfileReport.render(result.profile(), sweep.model()));
            result.verification().ifPresent(v -> summary.add(v.summary()));
            return new Outcome(files, summary, result.verification());
        }
    }

    private static Sweep.Builder resumable(Sweep.Builder builder, boolean resume, StopToken stop) {
        return builder.journal(true).resume(resume).stopToken(stop);
    }

    /** The plan {@code extract} would follow, with a measured time estimate; runs nothing. */
    Plan preflight() {
        NewDirectory created = NewDirectory.before(out);
        boolean hadWorkDir = Files.exists(out.resolve(WORK_DIR));
        RuntimeException failure = null;
        try (TextTokenizer textTokenizer = openTokenizer(); Sweep sweep = sweepBuilder(textTokenizer, ProgressListener.NONE).build()) {
            return sweep.preflight();
        } catch (RuntimeException e) {
            failure = e;
            throw e;
        } finally {
            if (!hadWorkDir) {
                deleteWorkDir(failure);
            }
            created.removeIfStillEmpty();
        }
    }

    private Sweep.Builder sweepBuilder(TextTokenizer textTokenizer, ProgressListener listener) {
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
        return builder;
    }

    /** The tokenizer for text prompts ({@code --tokenizer}, or the model's when the input holds text), or null for token ids. */
    private TextTokenizer openTokenizer() {
        if (tokenizer.isEmpty() && !PromptFiles.holdsText(input)) {
            if (addBos.isPresent()) {
                throw new IllegalArgumentException("--add-bos/--no-add-bos apply to text prompts ({\"text\": ...}), but " + input
                        + " holds token ids; put the BOS id into input_ids yourself");
            }
            return null;
        }
        return ModelTokenizer.open(model, tokenizer, addBos, () -> ModelConfigReader.bosTokenId(model));
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
