package org.fpwap.sweep;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.fpwap.buffer.ResidualBuffer;
import org.fpwap.callback.Artifact;
import org.fpwap.callback.SweepInfo;
import org.fpwap.dataset.DatasetScanner;
import org.fpwap.dataset.DatasetSummary;
import org.fpwap.dataset.Sample;
import org.fpwap.dataset.SampleCursor;
import org.fpwap.device.DeviceTransfer;
import org.fpwap.device.Devices;
import org.fpwap.device.NativeHeap;
import org.fpwap.forward.BlockForward;
import org.fpwap.forward.Embedder;
import org.fpwap.forward.FinalNorm;
import org.fpwap.forward.ForwardContext;
import org.fpwap.forward.Hook;
import org.fpwap.forward.HookHandler;
import org.fpwap.forward.Microbatch;
import org.fpwap.forward.NaiveForward;
import org.fpwap.forward.PaddingSide;
import org.fpwap.model.ModelFingerprint;
import org.fpwap.model.ModelSpec;
import org.fpwap.profile.CpuTimes;
import org.fpwap.profile.Profile;
import org.fpwap.profile.ProfileRecorder;
import org.fpwap.result.Result;
import org.fpwap.result.VerifyReport;
import org.fpwap.run.FaultPoint;
import org.fpwap.run.JournalEntry;
import org.fpwap.run.RunLock;
import org.fpwap.run.StopToken;
import org.fpwap.safetensors.Checkpoint;
import org.fpwap.weights.LayerWeights;
import org.fpwap.weights.NormWeights;
import org.fpwap.weights.WeightLoader;

/**
 * One run of the layer-major schedule: scan the dataset, embed every sample into the residual buffer
 * (while layer 0 loads), then for each layer up to the deepest needed: take the prefetched weights,
 * request the next layer's, stream every microbatch through the block (reading its residual rows,
 * dispatching callbacks at the hooks, writing the new rows back), collect the layer's artifacts, and
 * release the weights. Optionally re-runs the naive schedule to verify bit-identity.
 */
final class SweepRunner {

    /**
     * How often, at most, freed native memory is handed back to the kernel between microbatches ({@link NativeHeap}):
     * often enough that allocator fragmentation cannot build up over a long run, rarely enough to cost nothing.
     */
    private static final long NATIVE_HEAP_TRIM_MILLIS = 250;

    /** Pads go on the right: the residual rows then start each padded row, the simplest layout to copy. */
    private static final PaddingSide SIDE = PaddingSide.RIGHT;

    private final SweepConfig config;
    private final ModelSpec spec;
    private final List<Subscription> subscriptions;
    private final Path workDir;
    private final int deepest;
    private final ProfileRecorder profile = new ProfileRecorder();
    private final NativeHeap nativeHeap = NativeHeap.platform(NATIVE_HEAP_TRIM_MILLIS);

    private final Plan plan;
    private final DatasetSummary summary;

    private final RunControl control;

    SweepRunner(SweepConfig config, ModelSpec spec, List<Subscription> subscriptions, Path workDir, Plan plan,
            DatasetSummary summary) {
        this(config, new RunControl(false, false, new StopToken()), spec, subscriptions, workDir, plan, summary);
    }

    SweepRunner(SweepConfig config, RunControl control, ModelSpec spec, List<Subscription> subscriptions, Path workDir, Plan plan,
            DatasetSummary summary) {
        this.control = control;
        this.plan = plan;
        profile.microbatch(plan.microbatchChoice());
        this.summary = summary;
        this.config = config;
        this.spec = spec;
        this.subscriptions = subscriptions;
        this.workDir = workDir;
        this.deepest = subscriptions.stream().mapToInt(Subscription::deepest).max().orElseThrow();
    }

    Result run() {
        if (!control.journal()) {
            return run(null);
        }
        try (RunLock lock = RunLock.acquire(workDir)) {
            return run(lock);
        }
    }

    private Result run(RunLock lock) {
        Device device = Devices.resolve(config.device());
        Devices.prepareComputeThread();
        String fingerprint = ModelFingerprint.of(config.model());
        SweepJournal journal = lock == null ? null
                : SweepJournal.open(config, control, spec, subscriptions, workDir, summary, fingerprint);
        Optional<JournalEntry> resumed = journal == null ? Optional.empty() : journal.resumed();
        JournalEntry.Microbatching batching = resumed.map(JournalEntry::microbatch).orElse(new JournalEntry.Microbatching(
                this.plan.microbatchSamples(), this.plan.tokenBudget(), Preflight.minFill(config)));
        MicrobatchPlan plan = MicrobatchPlan.of(summary.lengths(), batching.samples(), batching.tokenBudget(), batching.minFill());
        SweepInfo info = new SweepInfo(spec, summary.sampleCount(), summary.totalTokens(), fingerprint);
        subscriptions.forEach(s -> s.callback().onSweepStart(info));
        resumed.ifPresent(e -> journal.restoreStates(subscriptions));
        int startLayer = resumed.map(e -> e.completedLayer() + 1).orElse(0);
        boolean streamed = resumed.map(JournalEntry::sweepDone).orElse(false);
        boolean normed = config.finalNorm() && deepest == spec.numLayers() - 1;
        List<Artifact> artifacts = new ArrayList<>(resumed.map(JournalEntry::artifacts).orElse(List.of()));
        List<int[]> tokensForVerify = config.verify() ? new ArrayList<>() : null;

        DigestBook digests = config.verify() ? new DigestBook(summary.sampleCount()) : null;
        try (Checkpoint checkpoint = Checkpoint.open(config.model());
                NDManager manager = NDManager.newBaseManager(device);
                Residuals residuals = streamed ? null : residuals(plan, lock != null, resumed.isPresent());
                CallbackDispatcher dispatcher = new CallbackDispatcher(subscriptions, summary, workDir, profile, true, digests);
                Arena inputArena = Arena.ofConfined()) {
            if (journal != null && resumed.isPresent()) {
                dispatcher.adopt(journal.emitFiles());
            }
            WeightLoader loader = new WeightLoader(checkpoint, spec);
            Embedder embedder = new Embedder(spec, loader.tokenEmbedding(), loader.positionEmbedding());
            MemorySegment input = inputArena.allocate(Math.max(1, plan.maxSlots() * spec.hiddenSize() * Float.BYTES), 64);
            try (Prefetcher prefetcher = streamed ? null : new Prefetcher(loader, loader.largestLayoutBytes(), profile);
                    NormWeights finalNorm = normed && !streamed ? loader.loadFinalNorm(manager) : null) {
                if (finalNorm != null) {
                    profile.finalNormLoaded(WeightBytes.finalNorm(checkpoint, loader));
                }
                if (!streamed) {
                    prefetcher.request(startLayer);
                }
                if (resumed.isEmpty()) {
                    embed(embedder, residuals.embedded(), summary, tokensForVerify);
                    if (journal != null) {
                        residuals.embedded().force();
                        journal.commit(-1, false, batching, dispatcher.commitLayer(-1), artifacts, subscriptions);
                    }
                }
                config.progress().on(new ProgressEvent.RunStarted(deepest + 1, plan.count(), summary.totalTokens()));
                BlockForward block = new BlockForward(spec);
                for (int layer = streamed ? deepest + 1 : startLayer; layer <= deepest; layer++) {
                    ResidualBuffer buffer = residuals.input(layer);
                    ResidualBuffer output = residuals.output(layer);
                    long layerStart = System.nanoTime();
                    CpuTimes cpuStart = CpuTimes.ofProcess();
                    try (LayerWeights weights = prefetcher.take(layer, manager)) {
                        if (layer < deepest) {
                            prefetcher.request(layer + 1);
                        }
                        config.progress().on(new ProgressEvent.LayerStarted(layer));
                        for (int m = 0; m < plan.count(); m++) {
                            Microbatch mb = plan.microbatch(m, SIDE);
                            if (m + 1 < plan.count()) {
                                // The rows were released after the previous layer: start reading the next ones back.
                                buffer.prefetch(plan.first(m + 1), plan.size(m + 1));
                            }
                            HookHandler hooks = dispatcher.handler(mb);
                            if (digests != null) {
                                hooks = digests.around(hooks, mb, this::subscribed, false);
                            }
                            if (finalNorm != null) {
                                hooks = FinalNorm.around(spec, finalNorm, hooks);
                            }
                            runMicrobatch(layer, plan.first(m), mb, weights, block, buffer, output, input, manager, hooks);
                            config.progress().on(new ProgressEvent.MicrobatchDone(layer, m, mb.realTokens()));
                            nativeHeap.maybeTrim();
                            FaultPoint.reach("layer-" + layer + "-microbatch-" + m);
                            if (m + 1 < plan.count()) {
                                control.stop().check("layer " + layer + " microbatch " + (m + 1) + " of " + plan.count());
                            }
                        }
                        long endStart = System.nanoTime();
                        for (Subscription s : subscriptions) {
                            if (s.at(layer)) {
                                artifacts.addAll(stamped(s.callback().name(), s.callback().onLayerEnd(layer)));
                            }
                        }
                        profile.callbacks(layer, (System.nanoTime() - endStart) / 1e9);
                    }
                    profile.cpu(layer, CpuTimes.ofProcess().minus(cpuStart));
                    if (journal != null) {
                        commitLayer(journal, layer, residuals, dispatcher, batching, artifacts);
                    }
                    config.progress().on(new ProgressEvent.LayerFinished(layer, (System.nanoTime() - layerStart) / 1e9));
                    if (layer < deepest) {
                        control.stop().check("layer " + layer);
                    }
                }
            }
            if (residuals != null && journal != null) {
                residuals.discardOnClose();
            }
            for (Subscription s : subscriptions) {
                artifacts.addAll(stamped(s.callback().name(), s.callback().onSweepEnd()));
            }
            Optional<VerifyReport> verification = Optional.empty();
            if (digests != null) {
                verification = Optional.of(verify(loader, embedder, plan, summary, tokensForVerify, manager, digests));
                if (normed) {
                    profile.verifyWeightsRead(WeightBytes.finalNorm(checkpoint, loader));
                }
            }
            if (residuals != null) {
                profile.residual(residuals.bytesRead(), residuals.bytesWritten());
                profile.pageAdvice(residuals.adviceIsNative(), residuals.adviceFailures());
            }
            Profile finished = profile.finish(summary.totalTokens());
            config.progress().on(new ProgressEvent.RunFinished(finished));
            var emits = dispatcher.commit();
            if (journal != null) {
                // The journal keeps listing the committed files until the caller has exported them; the Result gets
                // its own names for them, so an export (which moves files) cut short by a crash can be redone.
                emits = JournaledOutputs.linked(emits);
            }
            return new Result(emits, artifacts, finished, verification, labels(summary));
        }
    }

    private Residuals residuals(MicrobatchPlan plan, boolean journaled, boolean reopen) {
        if (!journaled) {
            return Residuals.single(ResidualBuffer.create(workDir, spec.hiddenSize(), plan.order(), plan.lengths(),
                    config.transport(), config.keepResidual()));
        }
        return Residuals.alternating(workDir, spec.hiddenSize(), plan.order(), plan.lengths(), config.transport(), reopen);
    }

    /**
     * Makes layer {@code layer}'s end durable, in the order that makes a crash at any moment recoverable: the
     * residual rows it wrote are forced, its emit files committed (forced, renamed into place), and only then the
     * journal (with the artifacts so far and every callback's state) is replaced atomically.
     */
    private void commitLayer(SweepJournal journal, int layer, Residuals residuals, CallbackDispatcher dispatcher,
            JournalEntry.Microbatching batching, List<Artifact> artifacts) {
        if (layer < deepest) {
            residuals.output(layer).force();
        }
        Map<org.fpwap.result.EmitStream, Path> emits = dispatcher.commitLayer(layer);
        FaultPoint.reach("layer-" + layer + "-emits-committed");
        journal.commit(layer, layer == deepest, batching, emits, artifacts, subscriptions);
        FaultPoint.reach("layer-" + layer + "-committed");
    }

    /** The artifacts with their producer's name in the metadata ({@code callback}), so same-kind artifacts stay apart. */
    private static List<Artifact> stamped(String callback, List<Artifact> artifacts) {
        List<Artifact> out = new ArrayList<>(artifacts.size());
        for (Artifact a : artifacts) {
            Map<String, String> metadata = new LinkedHashMap<>(a.metadata());
            metadata.putIfAbsent("callback", callback);
            out.add(new Artifact(a.kind(), a.layer(), a.hook(), a.tensors(), metadata));
        }
        return out;
    }

    private boolean subscribed(int layer, Hook hook) {
        return subscriptions.stream().anyMatch(s -> s.at(layer, hook));
    }

    /**
     * Streams the dataset a second time in dataset order, writing each sample's embedding rows to its
     * buffer slot; the replay fails if the data changed since the scan.
     */
    private void embed(Embedder embedder, ResidualBuffer buffer, DatasetSummary summary, List<int[]> keepTokens) {
        long start = System.nanoTime();
        float[] rows = new float[0];
        try (SampleCursor cursor = DatasetScanner.replay(config.dataset(), summary, spec.vocabSize(), spec.maxPositions())) {
            while (cursor.hasNext()) {
                Sample s = cursor.next();
                int need = s.length() * spec.hiddenSize();
                if (rows.length < need) {
                    rows = new float[need];
                }
                int[] tokens = s.tokens();
                embedder.embedSample(tokens, rows, 0);
                int slot = buffer.processingIndexOf(s.id());
                buffer.writeSample(slot, rows, 0);
                buffer.release(slot, 1);
                if (keepTokens != null) {
                    keepTokens.add(tokens);
                }
                if (s.id() == 0) {
                    FaultPoint.reach("embed");
                }
                control.stop().check("embedding sample " + s.id());
            }
        }
        profile.embed((System.nanoTime() - start) / 1e9);
    }

    private void runMicrobatch(int layer, int first, Microbatch mb, LayerWeights weights, BlockForward block,
            ResidualBuffer buffer, ResidualBuffer output, MemorySegment input, NDManager manager, HookHandler hooks) {
        long bytes = (long) mb.size() * mb.width() * spec.hiddenSize() * Float.BYTES;
        MemorySegment rows = input.asSlice(0, bytes);
        try (NDManager scope = manager.newSubManager()) {
            long t0 = System.nanoTime();
            buffer.readPadded(first, mb.size(), mb.width(), SIDE, rows);
            DeviceTransfer transfer = DeviceTransfer.to(scope.getDevice());
            long up = System.nanoTime();
            NDArray hidden = transfer.upload(scope, rows, new Shape(mb.size(), mb.width(), spec.hiddenSize()));
            long upDone = System.nanoTime();
            ForwardContext ctx = ForwardContext.create(spec, mb, scope);
            long t1 = System.nanoTime();
            double callbacksBefore = profile.callbackSeconds(layer);
            NDArray out = block.forward(weights, hidden, ctx, hooks);
            transfer.awaitDevice(out);
            long t2 = System.nanoTime();
            profile.forward(layer, (t2 - t1) / 1e9 - (profile.callbackSeconds(layer) - callbacksBefore));
            long downDone = t2;
            if (layer < deepest) {
                MemorySegment back = DeviceTransfer.hostView(out);
                downDone = System.nanoTime();
                output.writePadded(first, mb.size(), mb.width(), SIDE, back);
            }
            buffer.release(first, mb.size());
            if (output != buffer) {
                output.release(first, mb.size());
            }
            double copies = 0;
            if (transfer.copies()) {
                // Copies between host and device are reported apart from residual-buffer I/O (zero on CPU).
                profile.residualUpload(layer, bytes, (upDone - up) / 1e9);
                profile.download(layer, layer < deepest ? bytes : 0, (downDone - t2) / 1e9);
                copies = (upDone - up + downDone - t2) / 1e9;
            }
            profile.io(layer, (t1 - t0 + System.nanoTime() - t2) / 1e9 - copies);
        }
    }

    /** The naive schedule on the same microbatches, comparing digests with the streaming pass's. */
    private VerifyReport verify(WeightLoader loader, Embedder embedder, MicrobatchPlan plan, DatasetSummary summary,
            List<int[]> tokens, NDManager manager, DigestBook digests) {
        List<LayerWeights> layers = new ArrayList<>();
        boolean normed = config.finalNorm() && deepest == spec.numLayers() - 1;
        try (NormWeights finalNorm = normed ? loader.loadFinalNorm(manager) : null;
                CallbackDispatcher writes = new CallbackDispatcher(subscriptions, summary, workDir, new ProfileRecorder(), false,
                        digests)) {
            for (int l = 0; l <= deepest; l++) {
                layers.add(loader.loadLayer(l, manager));
                profile.verifyWeightsRead(layers.getLast().bytesRead());
            }
            NaiveForward naive = new NaiveForward(spec, embedder, layers, Optional.ofNullable(finalNorm));
            for (int m = 0; m < plan.count(); m++) {
                Microbatch byLength = plan.microbatch(m, SIDE);
                List<int[]> mbTokens = new ArrayList<>();
                for (int b = 0; b < byLength.size(); b++) {
                    mbTokens.add(tokens.get(Math.toIntExact(byLength.sampleId(b))));
                }
                Microbatch mb = new Microbatch(byLength.sampleIds(), mbTokens, SIDE);
                naive.run(mb, manager, digests.around(writes.handler(mb), mb, this::subscribed, true));
            }
        } finally {
            layers.forEach(LayerWeights::close);
        }
        return digests.report();
    }

    private static OptionalLong[] labels(DatasetSummary summary) {
        OptionalLong[] labels = new OptionalLong[summary.sampleCount()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = summary.label(i);
        }
        return labels;
    }
}
