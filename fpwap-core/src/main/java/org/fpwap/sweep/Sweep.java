package org.fpwap.sweep;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.fpwap.buffer.ResidualBuffer;
import org.fpwap.callback.Callback;
import org.fpwap.dataset.Dataset;
import org.fpwap.hub.HubEnvironment;
import org.fpwap.hub.ModelLocator;
import org.fpwap.model.ModelConfigReader;
import org.fpwap.model.ModelSpec;
import org.fpwap.result.OutputFormat;
import org.fpwap.result.Result;
import org.fpwap.run.JournalEntry;
import org.fpwap.run.StopToken;

/**
 * A layer-streaming pass of a dataset through a model: each layer's weights are loaded once and every
 * microbatch of the dataset flows through it, with the residual stream kept in a memory-mapped file
 * between layers and the next layer prefetched on a worker thread. Built with {@link #builder()};
 * {@link #preflight()} checks it without touching the device; {@link #run()} does it.
 *
 * <p>The sweep owns its work directory (the residual buffer and emit files): a directory it created is
 * deleted by {@link #close()}; a directory the caller named is left, minus the files the sweep made.
 */
public final class Sweep implements AutoCloseable {

    private final SweepConfig config;
    private final RunControl control;
    private final ModelSpec spec;
    private final List<Subscription> subscriptions;
    private final Path workDir;
    private final boolean ownsWorkDir;
    private final List<Result> results = new ArrayList<>();
    private final OutputSizeEstimator outputs;
    private boolean closed;

    private Sweep(SweepConfig config, RunControl control, ModelSpec spec, List<Subscription> subscriptions, Path workDir,
            boolean ownsWorkDir, Optional<OutputFormat> exportFormat) {
        this.outputs = new OutputSizeEstimator(spec, subscriptions, exportFormat, config.transport());
        this.config = config;
        this.control = control;
        this.spec = spec;
        this.subscriptions = subscriptions;
        this.workDir = workDir;
        this.ownsWorkDir = ownsWorkDir;
    }

    /** Starts describing a sweep. */
    public static Builder builder() {
        return new Builder();
    }

    /** The model's architecture, as read from its config. */
    public ModelSpec model() {
        return spec;
    }

    /** The deepest layer any callback needs: the sweep stops after it. */
    public int deepestLayer() {
        return subscriptions.stream().mapToInt(Subscription::deepest).max().orElseThrow();
    }

    /** The work directory (residual buffer, emit files). */
    public Path workDir() {
        return workDir;
    }

    /**
     * Checks the model files (headers only), the dataset, the device and its memory budget, and the disk,
     * chooses the microbatch size, and estimates the run time from a probe (one layer's load and one
     * microbatch's forward).
     */
    public Plan preflight() {
        checkOpen();
        return new Preflight(config, spec, deepestLayer(), workDir, outputs).plan(true);
    }

    /**
     * The microbatching {@link #run()} would use: preflight's choice (measured, unless fixed by the builder) without the
     * time estimate. A data-parallel driver plans with it and gives every shard's sweep {@link Builder#microbatching}, so
     * that the shards compute exactly the microbatches of one machine. Throws {@link PlanException} when the plan is
     * infeasible.
     */
    public JournalEntry.Microbatching microbatching() {
        checkOpen();
        Plan plan = new Preflight(config, spec, deepestLayer(), workDir, outputs).plan(false);
        if (!plan.feasible()) {
            throw new PlanException(plan);
        }
        return new JournalEntry.Microbatching(plan.microbatchSamples(), plan.tokenBudget(), Preflight.minFill(config));
    }

    /**
     * Runs the sweep after the checks of {@link #preflight()} (without the probe); an infeasible plan
     * throws {@link PlanException} listing the blockers. The returned {@link Result} owns the emitted activations; close it (or this sweep,
     * which closes every result it returned).
     */
    public Result run() {
        checkOpen();
        Preflight.Checked checked = new Preflight(config, spec, deepestLayer(), workDir, outputs).check(false);
        if (!checked.plan().feasible()) {
            throw new PlanException(checked.plan());
        }
        Result result = new SweepRunner(config, control, spec, subscriptions, workDir, checked.plan(), checked.summary()).run();
        results.add(result);
        return result;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this Sweep has been closed already");
        }
    }

    /** Closes the results it returned and removes its work directory if it created it. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        results.forEach(Result::close);
        if (ownsWorkDir) {
            try (Stream<Path> files = Files.walk(workDir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove the work directory " + workDir + ": " + e.getMessage(), e);
            }
        }
    }

    /** Describes a sweep; {@link #build()} reads the model config and checks the callbacks against it. */
    public static final class Builder {
        private Path model;
        private String modelReference;
        private Optional<String> revision = Optional.empty();
        private HubEnvironment hub;
        private Dataset dataset;
        private final List<Callback> callbacks = new ArrayList<>();
        private String device = "cpu";
        private int microbatch;
        private long tokenBudget = Long.MAX_VALUE;
        private JournalEntry.Microbatching microbatching;
        private long deviceMemory;
        private Path workDir;
        private boolean finalNorm = true;
        private ResidualBuffer.Transport transport = ResidualBuffer.Transport.FP32;
        private boolean keepResidual;
        private ProgressListener progress = ProgressListener.NONE;
        private boolean verify;
        private boolean journal;
        private boolean resume;
        private StopToken stop = new StopToken();
        private Optional<OutputFormat> exportFormat = Optional.empty();

        private Builder() {}

        /** The HF model directory ({@code config.json} + safetensors). */
        public Builder model(Path dir) {
            this.model = requireNonNull(dir, "model dir is null");
            this.modelReference = null;
            return this;
        }

        /**
         * A model directory, or a Hugging Face id {@code ORG/NAME} found offline in the local Hugging Face cache
         * at revision {@code main} ({@link ModelLocator}: an existing directory wins; nothing is downloaded).
         */
        public Builder model(String dirOrId) {
            this.modelReference = requireNonNull(dirOrId, "model is null");
            this.revision = Optional.empty();
            this.model = null;
            return this;
        }

        /** A Hugging Face id at {@code revision}: a branch or tag under the cache's {@code refs/}, or a commit hash. */
        public Builder model(String id, String revision) {
            model(id);
            this.revision = Optional.of(requireNonNull(revision, "revision is null"));
            return this;
        }

        /** Where Hugging Face ids are looked up (default: this process's {@code HF_HUB_CACHE}, {@code HF_HOME}, home). */
        public Builder hubEnvironment(HubEnvironment environment) {
            this.hub = requireNonNull(environment, "environment is null");
            return this;
        }

        /** The prompts. */
        public Builder dataset(Dataset d) {
            this.dataset = requireNonNull(d, "dataset is null");
            return this;
        }

        /** The callbacks, in the order they run within each phase. */
        public Builder callbacks(Callback... cs) {
            callbacks.addAll(List.of(cs));
            return this;
        }

        /** The callbacks, in the order they run within each phase. */
        public Builder callbacks(List<? extends Callback> cs) {
            callbacks.addAll(cs);
            return this;
        }

        /** The compute device: {@code cpu} (default), {@code cuda}, {@code cuda:N}, {@code mps}. */
        public Builder device(String name) {
            this.device = requireNonNull(name, "device is null");
            return this;
        }

        /**
         * At most this many prompts per microbatch. Without it, preflight picks the largest microbatch that
         * fits the device memory budget (the usual choice: users need no batch-size knob).
         */
        public Builder microbatch(int samples) {
            if (samples <= 0) {
                throw new IllegalArgumentException("microbatch must be positive, got " + samples);
            }
            this.microbatch = samples;
            return this;
        }

        /** At most this many padded token slots (samples × longest prompt) per microbatch. */
        public Builder tokenBudget(long slots) {
            if (slots <= 0) {
                throw new IllegalArgumentException("token budget must be positive, got " + slots);
            }
            this.tokenBudget = slots;
            return this;
        }

        /**
         * Exactly this microbatching (samples, token budget, minimum real-token share), with no throughput probe; it
         * replaces {@link #microbatch} and {@link #tokenBudget}. For shards of a larger run planned with
         * {@link Sweep#microbatching()}: the same triple on the same lengths cuts the same microbatches.
         */
        public Builder microbatching(JournalEntry.Microbatching fixed) {
            requireNonNull(fixed, "microbatching is null");
            if (fixed.samples() <= 0 || fixed.tokenBudget() <= 0 || !(fixed.minFill() >= 0 && fixed.minFill() <= 1)) {
                throw new IllegalArgumentException("microbatching needs positive samples and token budget and a minimum fill"
                        + " in [0, 1], got " + fixed);
            }
            this.microbatching = fixed;
            return this;
        }

        /** The device memory a sweep may plan for, in bytes (default: free GPU memory, or half the available RAM). */
        public Builder deviceMemory(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("device memory budget must be positive, got " + bytes);
            }
            this.deviceMemory = bytes;
            return this;
        }

        /** Where the residual buffer and emit files go (default: a new temporary directory). */
        public Builder workDir(Path dir) {
            this.workDir = requireNonNull(dir, "work dir is null");
            return this;
        }

        /**
         * Whether the last layer's {@code residual_post} is normalised by the model's final norm, as HF's last
         * {@code hidden_states} entry is (default true).
         */
        public Builder finalNorm(boolean apply) {
            this.finalNorm = apply;
            return this;
        }

        /** FP32 (default, exact) or BF16 (half the disk traffic; rounds the residual stream every layer). */
        public Builder residualTransport(ResidualBuffer.Transport t) {
            this.transport = requireNonNull(t, "transport is null");
            return this;
        }

        /** Keep the residual buffer file after the run (default false). */
        public Builder keepResidual(boolean keep) {
            this.keepResidual = keep;
            return this;
        }

        /** Receives progress events (default: none). */
        public Builder progress(ProgressListener listener) {
            this.progress = requireNonNull(listener, "listener is null");
            return this;
        }

        /**
         * Also run the naive schedule (all layers per microbatch, same microbatches) and check that every
         * activation a callback saw is bit-identical. Needs the layers in memory and the token ids kept.
         */
        public Builder verify(boolean check) {
            this.verify = check;
            return this;
        }

        /**
         * Keep a journal in the work directory so that a run killed at any point can be {@link #resume resumed}
         * (default false). The residual stream then alternates between two buffers (twice the disk), and at every
         * layer end the layer's outputs are made durable and the journal committed. The work directory is locked
         * while the run lasts; after a successful run it holds the committed outputs until you delete it.
         */
        public Builder journal(boolean keep) {
            this.journal = keep;
            return this;
        }

        /**
         * Continue the run whose journal the named {@link #workDir} holds, from its last committed layer, giving
         * outputs bit-identical to an uninterrupted run; with no journal there, start from the beginning. Implies
         * {@link #journal}. The run refuses, naming the difference, when the model, the dataset, an option or a
         * callback's settings changed, or a callback cannot restore its state ({@code Callback.state()}).
         */
        public Builder resume(boolean continueEarlierRun) {
            this.resume = continueEarlierRun;
            return this;
        }

        /** Where a stop at the next safe point (after a microbatch) can be requested, e.g. by a signal handler. */
        public Builder stopToken(StopToken token) {
            this.stop = requireNonNull(token, "stop token is null");
            return this;
        }

        /**
         * The format {@code Result.export} will be called with into the work directory's file system, so that
         * preflight counts the exported copies (Arrow conversions) in its disk check (default: not counted).
         */
        public Builder exportFormat(OutputFormat format) {
            this.exportFormat = Optional.of(requireNonNull(format, "format is null"));
            return this;
        }

        /** Reads the model config and checks every callback's layers and hooks against it. */
        public Sweep build() {
            Path model = this.model != null || modelReference == null ? this.model
                    : new ModelLocator(hub != null ? hub : HubEnvironment.system()).locate(modelReference, revision).directory();
            requireNonNull(model, "model(...) is required");
            requireNonNull(dataset, "dataset(...) is required");
            if (callbacks.isEmpty()) {
                throw new IllegalArgumentException("no callbacks: a sweep with nothing to observe computes nothing");
            }
            if (resume && workDir == null) {
                throw new IllegalArgumentException("resume(true) needs the work directory of the run to continue: workDir(...)");
            }
            ModelSpec spec = ModelConfigReader.read(model);
            List<Subscription> subscriptions = new ArrayList<>();
            Set<String> names = new HashSet<>();
            for (Callback cb : callbacks) {
                requireNonNull(cb, "callback is null");
                if (!names.add(cb.name())) {
                    throw new IllegalArgumentException("two callbacks are named \"" + cb.name() + "\"; override name() so "
                            + "their outputs can be told apart");
                }
                if (cb.hooks() == null || cb.hooks().isEmpty()) {
                    throw new IllegalArgumentException("callback " + cb.name() + " selects no hooks");
                }
                int[] layers;
                try {
                    layers = cb.layers().resolve(spec.numLayers());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("callback " + cb.name() + ": " + e.getMessage(), e);
                }
                subscriptions.add(new Subscription(cb, layers));
            }
            Path dir = workDir;
            boolean owns = dir == null;
            try {
                dir = owns ? Files.createTempDirectory("fpwap-") : Files.createDirectories(dir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the work directory " + (owns ? "in " + System.getProperty("java.io.tmpdir") : dir)
                        + ": " + e.getMessage(), e);
            }
            Optional<JournalEntry.Microbatching> fixed = Optional.ofNullable(microbatching);
            SweepConfig config = new SweepConfig(model, dataset, device, fixed.map(JournalEntry.Microbatching::samples).orElse(microbatch),
                    fixed.map(JournalEntry.Microbatching::tokenBudget).orElse(tokenBudget), deviceMemory, finalNorm, transport,
                    keepResidual, progress, verify, fixed);
            return new Sweep(config, new RunControl(journal || resume, resume, stop), spec, List.copyOf(subscriptions), dir, owns,
                    exportFormat);
        }
    }
}
