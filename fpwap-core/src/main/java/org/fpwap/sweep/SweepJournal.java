package org.fpwap.sweep;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.fpwap.callback.Artifact;
import org.fpwap.callback.Callback;
import org.fpwap.callback.CallbackState;
import org.fpwap.dataset.DatasetSummary;
import org.fpwap.model.ModelSpec;
import org.fpwap.result.EmitStream;
import org.fpwap.run.DatasetDigest;
import org.fpwap.run.Journal;
import org.fpwap.run.JournalEntry;
import org.fpwap.run.RunDirectoryException;
import org.fpwap.run.RunIdentity;

/**
 * A sweep's side of its {@link Journal}: what identifies the run, whether the work directory holds an
 * earlier run to continue (refusing, with the differences named, when it is not the same run), restoring
 * the callbacks' states from it, and committing each layer's end.
 */
final class SweepJournal {

    private final Path workDir;
    private final RunIdentity identity;
    private final JournalEntry previous;

    private SweepJournal(Path workDir, RunIdentity identity, JournalEntry previous) {
        this.workDir = workDir;
        this.identity = identity;
        this.previous = previous;
    }

    /**
     * Reads the journal in {@code workDir} and checks it against this run.
     *
     * @throws RunDirectoryException if the directory holds a journal and {@code resume} is false, or it holds one
     *     of another run, or a callback cannot restore its state, or {@code verify} is asked of a resumed run
     */
    static SweepJournal open(SweepConfig config, RunControl control, ModelSpec spec, List<Subscription> subscriptions,
            Path workDir, DatasetSummary summary, String fingerprint) {
        RunIdentity identity = identity(config, spec, subscriptions, summary, fingerprint);
        Optional<JournalEntry> existing = Journal.read(workDir);
        if (existing.isEmpty()) {
            return new SweepJournal(workDir, identity, null);
        }
        JournalEntry e = existing.get();
        String progress = e.sweepDone() ? "every layer done" : e.completedLayer() < 0 ? "embedding done"
                : "layers 0.." + e.completedLayer() + " done";
        if (!control.resume()) {
            throw new RunDirectoryException(workDir + " holds the journal of an earlier run (" + progress + "); continue it "
                    + "with --resume (API: Sweep.Builder.resume(true)) or start over with --overwrite (API: delete the directory)");
        }
        List<String> differences = identity.differencesFrom(e.identity());
        if (!differences.isEmpty()) {
            throw new RunDirectoryException("cannot resume the run in " + workDir + ", it was made with other inputs or options: "
                    + String.join("; ", differences) + ". Rerun with the original inputs and options, or start over with --overwrite");
        }
        for (Subscription s : subscriptions) {
            if (s.callback().state().isEmpty()) {
                throw new RunDirectoryException("cannot resume the run in " + workDir + ": callback " + s.callback().name()
                        + " (" + s.callback().getClass().getName() + ") cannot save its state (Callback.state() is empty); "
                        + "implement state() or start over with --overwrite");
            }
        }
        if (config.verify()) {
            throw new RunDirectoryException("cannot resume the run in " + workDir + " with verify: the naive schedule needs "
                    + "the whole run in one process; resume without --verify");
        }
        deleteStaleTemporaries(workDir);
        return new SweepJournal(workDir, identity, e);
    }

    /** The run's identity: model, dataset, every option and callback setting that changes outputs. */
    static RunIdentity identity(SweepConfig config, ModelSpec spec, List<Subscription> subscriptions, DatasetSummary summary,
            String fingerprint) {
        Map<String, String> entries = new LinkedHashMap<>();
        entries.put("model fingerprint", fingerprint);
        entries.put("dataset digest", DatasetDigest.of(config.dataset(), summary, spec.vocabSize(), spec.maxPositions()));
        entries.put("device", config.device());
        entries.put("final norm", Boolean.toString(config.finalNorm()));
        entries.put("residual transport", config.transport().name());
        entries.put("microbatch", config.microbatch() == 0 ? "auto" : Integer.toString(config.microbatch()));
        entries.put("token budget", config.tokenBudget() == Long.MAX_VALUE ? "none" : Long.toString(config.tokenBudget()));
        for (int i = 0; i < subscriptions.size(); i++) {
            entries.put("callback " + (i + 1), describe(subscriptions.get(i)));
        }
        return new RunIdentity(entries);
    }

    private static String describe(Subscription s) {
        Callback cb = s.callback();
        String hooks = cb.hooks().stream().sorted().map(h -> h.wireName()).collect(Collectors.joining(","));
        return cb.getClass().getName() + " name=" + cb.name() + " phase=" + cb.phase() + " layers=" + Arrays.toString(s.layers())
                + " hooks=" + hooks + " readsAfterWrites=" + cb.readsAfterWrites()
                + (cb.settings().isEmpty() ? "" : " " + cb.settings());
    }

    /** A crash can leave half-written temporaries (emit files, the journal's); their final names are rewritten anyway. */
    private static void deleteStaleTemporaries(Path workDir) {
        try (Stream<Path> files = Files.list(workDir)) {
            for (Path p : files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean " + workDir + ": " + e.getMessage(), e);
        }
    }

    /** The committed state this run continues from, if it resumes one. */
    Optional<JournalEntry> resumed() {
        return Optional.ofNullable(previous);
    }

    /** The emit files the resumed run committed, as paths. */
    Map<EmitStream, Path> emitFiles() {
        Map<EmitStream, Path> files = new LinkedHashMap<>();
        previous.emits().forEach((stream, name) -> {
            Path p = workDir.resolve(name);
            if (!Files.isRegularFile(p)) {
                throw new RunDirectoryException("cannot resume the run in " + workDir + ": its journal lists " + p
                        + ", which is missing; start over with --overwrite");
            }
            files.put(stream, p);
        });
        return files;
    }

    /** Restores every callback's state from the resumed journal (after {@code onSweepStart}). */
    void restoreStates(List<Subscription> subscriptions) {
        for (Subscription s : subscriptions) {
            Callback cb = s.callback();
            try {
                cb.state().orElseThrow().restore(new DataInputStream(new ByteArrayInputStream(previous.state(cb.name()))));
            } catch (IOException | RuntimeException e) {
                throw new RunDirectoryException("cannot resume the run in " + workDir + ": callback " + cb.name()
                        + " cannot restore its saved state (" + e.getMessage() + "); start over with --overwrite", e);
            }
        }
    }

    /**
     * Commits the end of {@code completedLayer} (−1: the embedding pass): its outputs must already be on storage
     * (residual buffer forced, emit files committed; emit files live directly in the work directory). Callbacks without a state are left out (a resume refuses them).
     */
    void commit(int completedLayer, boolean sweepDone, JournalEntry.Microbatching microbatch, Map<EmitStream, Path> emits,
            List<Artifact> artifacts, List<Subscription> subscriptions) {
        Map<String, byte[]> states = new LinkedHashMap<>();
        for (Subscription s : subscriptions) {
            Optional<CallbackState> state = s.callback().state();
            if (state.isPresent()) {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                try (DataOutputStream out = new DataOutputStream(bytes)) {
                    state.get().write(out);
                } catch (IOException e) {
                    throw new UncheckedIOException("callback " + s.callback().name() + " cannot save its state: " + e.getMessage(), e);
                }
                states.put(s.callback().name(), bytes.toByteArray());
            }
        }
        Map<EmitStream, String> names = new LinkedHashMap<>();
        emits.forEach((stream, path) -> names.put(stream, path.getFileName().toString()));
        Journal.commit(workDir, new JournalEntry(identity, microbatch, completedLayer, sweepDone, names, new ArrayList<>(artifacts),
                states));
    }
}
