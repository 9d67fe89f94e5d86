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
import org.fpwap.profile.Profile;
import org.fpwap.profile.ProfileRecorder;
import org.fpwap.result.Result;
import org.fpwap.result.VerifyReport;
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

    /** Pads go on the right: the residual rows then start each padded row, the simplest layout to copy. */
    private static final PaddingSide SIDE = PaddingSide.RIGHT;

    private final SweepConfig config;
    private final ModelSpec spec;
    private final List<Subscription> subscriptions;
    private final Path workDir;
    private final int deepest;
    private final ProfileRecorder profile = new ProfileRecorder();

    private final Plan plan;
    private final DatasetSummary summary;

    SweepRunner(SweepConfig config, ModelSpec spec, List<Subscription> subscriptions, Path workDir, Plan plan,
            DatasetSummary summary) {
        this.plan = plan;
        this.summary = summary;
        this.config = config;
        this.spec = spec;
        this.subscriptions = subscriptions;
        this.workDir = workDir;
        this.deepest = subscriptions.stream().mapToInt(Subscription::deepest).max().orElseThrow();
    }

    Result run() {
        Device device = Devices.resolve(config.device());
        Devices.prepareComputeThread();
        MicrobatchPlan plan = MicrobatchPlan.of(summary.lengths(), this.plan.microbatchSamples(), this.plan.tokenBudget(),
                Preflight.minFill(config));
        SweepInfo info = new SweepInfo(spec, summary.sampleCount(), summary.totalTokens(), ModelFingerprint.of(config.model()));
        subscriptions.forEach(s -> s.callback().onSweepStart(info));
        boolean normed = config.finalNorm() && deepest == spec.numLayers() - 1;
        List<Artifact> artifacts = new ArrayList<>();
        List<int[]> tokensForVerify = config.verify() ? new ArrayList<>() : null;

        DigestBook digests = config.verify() ? new DigestBook(summary.sampleCount()) : null;
        try (Checkpoint checkpoint = Checkpoint.open(config.model());
                NDManager manager = NDManager.newBaseManager(device);
                ResidualBuffer buffer = ResidualBuffer.create(workDir, spec.hiddenSize(), plan.order(), plan.lengths(),
                        config.transport(), config.keepResidual());
                CallbackDispatcher dispatcher = new CallbackDispatcher(subscriptions, summary, workDir, profile, true, digests);
                Arena inputArena = Arena.ofConfined()) {
            WeightLoader loader = new WeightLoader(checkpoint, spec);
            Embedder embedder = new Embedder(spec, loader.tokenEmbedding(), loader.positionEmbedding());
            MemorySegment input = inputArena.allocate(Math.max(1, plan.maxSlots() * spec.hiddenSize() * Float.BYTES), 64);
            try (Prefetcher prefetcher = new Prefetcher(loader, loader.layout(0).bytes(), profile);
                    NormWeights finalNorm = normed ? loader.loadFinalNorm(manager) : null) {
                prefetcher.request(0);
                embed(embedder, buffer, summary, tokensForVerify);
                config.progress().on(new ProgressEvent.RunStarted(deepest + 1, plan.count(), summary.totalTokens()));
                BlockForward block = new BlockForward(spec);
                for (int layer = 0; layer <= deepest; layer++) {
                    long layerStart = System.nanoTime();
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
                            runMicrobatch(layer, plan.first(m), mb, weights, block, buffer, input, manager, hooks);
                            config.progress().on(new ProgressEvent.MicrobatchDone(layer, m, mb.realTokens()));
                        }
                        long endStart = System.nanoTime();
                        for (Subscription s : subscriptions) {
                            if (s.at(layer)) {
                                artifacts.addAll(stamped(s.callback().name(), s.callback().onLayerEnd(layer)));
                            }
                        }
                        profile.callbacks(layer, (System.nanoTime() - endStart) / 1e9);
                    }
                    config.progress().on(new ProgressEvent.LayerFinished(layer, (System.nanoTime() - layerStart) / 1e9));
                }
            }
            for (Subscription s : subscriptions) {
                artifacts.addAll(stamped(s.callback().name(), s.callback().onSweepEnd()));
            }
            Optional<VerifyReport> verification = Optional.empty();
            if (digests != null) {
                verification = Optional.of(verify(loader, embedder, plan, summary, tokensForVerify, manager, digests));
            }
            profile.residual(buffer.bytesRead(), buffer.bytesWritten());
            Profile finished = profile.finish(summary.totalTokens());
            config.progress().on(new ProgressEvent.RunFinished(finished));
            var emits = dispatcher.commit();
            return new Result(emits, artifacts, finished, verification, labels(summary));
        }
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
            }
        }
        profile.embed((System.nanoTime() - start) / 1e9);
    }

    private void runMicrobatch(int layer, int first, Microbatch mb, LayerWeights weights, BlockForward block,
            ResidualBuffer buffer, MemorySegment input, NDManager manager, HookHandler hooks) {
        long bytes = (long) mb.size() * mb.width() * spec.hiddenSize() * Float.BYTES;
        MemorySegment rows = input.asSlice(0, bytes);
        try (NDManager scope = manager.newSubManager()) {
            long t0 = System.nanoTime();
            buffer.readPadded(first, mb.size(), mb.width(), SIDE, rows);
            NDArray hidden = DeviceTransfer.to(scope.getDevice()).upload(scope, rows, new Shape(mb.size(), mb.width(), spec.hiddenSize()));
            ForwardContext ctx = ForwardContext.create(spec, mb, scope);
            long t1 = System.nanoTime();
            double callbacksBefore = profile.callbackSeconds(layer);
            NDArray out = block.forward(weights, hidden, ctx, hooks);
            long t2 = System.nanoTime();
            profile.forward(layer, (t2 - t1) / 1e9 - (profile.callbackSeconds(layer) - callbacksBefore));
            if (layer < deepest) {
                buffer.writePadded(first, mb.size(), mb.width(), SIDE, DeviceTransfer.hostView(out));
            }
            buffer.release(first, mb.size());
            profile.io(layer, (t1 - t0 + System.nanoTime() - t2) / 1e9);
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
