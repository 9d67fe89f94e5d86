package org.fpwap.extract;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.fpwap.dataset.JsonlDataset;
import org.fpwap.dataset.Sample;
import org.fpwap.device.Devices;
import org.fpwap.forward.Embedder;
import org.fpwap.forward.Hook;
import org.fpwap.forward.HookHandler;
import org.fpwap.forward.Microbatch;
import org.fpwap.forward.NaiveForward;
import org.fpwap.forward.PaddingSide;
import org.fpwap.model.ModelConfigReader;
import org.fpwap.model.ModelSpec;
import org.fpwap.result.ArrowActivationWriter;
import org.fpwap.safetensors.Checkpoint;
import org.fpwap.weights.LayerWeights;
import org.fpwap.weights.NormWeights;
import org.fpwap.weights.WeightLoader;

/**
 * {@code fpwap extract}: runs prompts through a model and writes the requested activations. Everything
 * that can be checked before computing is checked first (config, layers, prompts, device, output
 * directory), so bad input fails fast and writes nothing. This first schedule preloads the needed
 * layers and runs them per microbatch ({@link NaiveForward}); the layer-streaming engine replaces it.
 */
public final class Extraction {

    private final ExtractOptions options;

    /** An extraction of {@code options}. */
    public Extraction(ExtractOptions options) {
        this.options = options;
    }

    /** Runs it. */
    public ExtractReport run() {
        long start = System.nanoTime();
        ModelSpec spec = ModelConfigReader.read(options.model());
        List<LayerHook> targets = targets(spec);
        int deepest = targets.stream().mapToInt(LayerHook::layer).max().orElseThrow();
        List<Sample> samples = JsonlDataset.read(options.input(), spec.vocabSize(), spec.maxPositions());
        Device device = Devices.resolve(options.device());
        prepareOutputDirectory();
        String fingerprint = Manifest.fingerprint(options.model());

        Map<LayerHook, ActivationStore> stores = new LinkedHashMap<>();
        List<Path> outputs = new ArrayList<>();
        Devices.prepareComputeThread();
        try (Checkpoint checkpoint = Checkpoint.open(options.model());
                NDManager manager = NDManager.newBaseManager(device)) {
            WeightLoader loader = new WeightLoader(checkpoint, spec);
            Embedder embedder = new Embedder(spec, loader.tokenEmbedding(), loader.positionEmbedding());
            List<LayerWeights> layers = new ArrayList<>();
            boolean normed = options.finalNorm() && deepest == spec.numLayers() - 1;
            try (NormWeights finalNorm = normed ? loader.loadFinalNorm(manager) : null) {
                for (int l = 0; l <= deepest; l++) {
                    layers.add(loader.loadLayer(l, manager));
                }
                for (LayerHook target : targets) {
                    stores.put(target, openStore(target, samples, spec, fingerprint));
                }
                NaiveForward forward = new NaiveForward(spec, embedder, layers, Optional.ofNullable(finalNorm));
                Map<LayerHook, Pooling> pooling = new LinkedHashMap<>();
                targets.forEach(t -> pooling.put(t, new Pooling(options.pool(), spec.hiddenSize())));
                for (Microbatch mb : microbatches(samples)) {
                    forward.run(mb, manager, capture(mb, stores, pooling));
                }
                for (Map.Entry<LayerHook, ActivationStore> e : stores.entrySet()) {
                    outputs.add(finish(e.getKey(), e.getValue()));
                }
            } finally {
                layers.forEach(LayerWeights::close);
            }
        } finally {
            stores.values().forEach(ActivationStore::close);
        }
        long tokens = samples.stream().mapToLong(Sample::length).sum();
        double wall = (System.nanoTime() - start) / 1e9;
        Path manifest = Manifest.write(options, spec, fingerprint, samples.size(), tokens, outputs);
        return new ExtractReport(outputs, manifest, samples.size(), tokens, wall);
    }

    private List<LayerHook> targets(ModelSpec spec) {
        List<Integer> layers = options.layers().orElseGet(() -> {
            List<Integer> all = new ArrayList<>();
            for (int l = 0; l < spec.numLayers(); l++) {
                all.add(l);
            }
            return all;
        });
        List<LayerHook> targets = new ArrayList<>();
        for (int layer : new TreeSet<>(layers)) {
            if (layer < 0 || layer >= spec.numLayers()) {
                throw new IllegalArgumentException("layer " + layer + " is out of range: " + options.model()
                        + " has " + spec.numLayers() + " layers (0.." + (spec.numLayers() - 1) + ")");
            }
            for (Hook hook : Hook.values()) {
                if (options.hooks().contains(hook)) {
                    targets.add(new LayerHook(layer, hook));
                }
            }
        }
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("no layers selected");
        }
        return targets;
    }

    private void prepareOutputDirectory() {
        Path out = options.out();
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the output directory " + out + ": " + e.getMessage(), e);
        }
        if (!Files.isWritable(out)) {
            throw new UncheckedIOException(new IOException("the output directory " + out + " is not writable"));
        }
    }

    /** Length-sorted (longest first) microbatches, so each pads little. */
    private List<Microbatch> microbatches(List<Sample> samples) {
        List<Sample> order = new ArrayList<>(samples);
        order.sort(Comparator.comparingInt(Sample::length).reversed().thenComparingLong(Sample::id));
        List<Microbatch> result = new ArrayList<>();
        for (int from = 0; from < order.size(); from += options.microbatch()) {
            List<Sample> group = order.subList(from, Math.min(order.size(), from + options.microbatch()));
            long[] ids = group.stream().mapToLong(Sample::id).toArray();
            result.add(new Microbatch(ids, group.stream().map(Sample::tokens).toList(), PaddingSide.RIGHT));
        }
        return result;
    }

    private ActivationStore openStore(LayerHook target, List<Sample> samples, ModelSpec spec, String fingerprint) {
        Path file = stagingOrOutput(target);
        try {
            Files.createDirectories(file.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + file.getParent() + ": " + e.getMessage(), e);
        }
        Map<String, String> metadata = Map.of(
                "layer", Integer.toString(target.layer()),
                "hook", target.hook().wireName(),
                "pool", options.pool().wireName(),
                "model_fingerprint", fingerprint);
        return ActivationStore.create(file, samples, spec.hiddenSize(), options.pool() == Pool.ALL, metadata);
    }

    private Path stagingOrOutput(LayerHook target) {
        Path safetensors = options.out().resolve(target.relativeStem() + ".safetensors");
        if (options.format() == OutputFormat.SAFETENSORS) {
            return safetensors;
        }
        return safetensors.resolveSibling("." + target.hook().wireName() + ".staging.safetensors");
    }

    private Path finish(LayerHook target, ActivationStore store) {
        if (options.format() == OutputFormat.SAFETENSORS) {
            store.commit();
            return options.out().resolve(target.relativeStem() + ".safetensors");
        }
        Path arrow = options.out().resolve(target.relativeStem() + ".arrow");
        try {
            ArrowActivationWriter.write(store, arrow);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + arrow + ": " + e.getMessage(), e);
        }
        return arrow;
    }

    private static HookHandler capture(Microbatch mb, Map<LayerHook, ActivationStore> stores, Map<LayerHook, Pooling> pooling) {
        return (layer, hook, activation) -> {
            LayerHook key = new LayerHook(layer, hook);
            ActivationStore store = stores.get(key);
            if (store != null) {
                float[] host = hostCopy(activation);
                pooling.get(key).store(mb, host, store);
            }
            return activation;
        };
    }

    private static float[] hostCopy(NDArray activation) {
        return activation.toFloatArray();
    }
}
