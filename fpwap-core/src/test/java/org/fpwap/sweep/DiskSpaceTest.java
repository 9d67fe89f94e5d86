package org.fpwap.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import org.fpwap.callback.Batch;
import org.fpwap.callback.Callback;
import org.fpwap.callback.CallbackAction;
import org.fpwap.callback.LayerSelection;
import org.fpwap.callback.Layers;
import org.fpwap.callback.OutputSize;
import org.fpwap.callback.Store;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.Sample;
import org.fpwap.forward.Hook;
import org.fpwap.io.DiskSpaceException;
import org.fpwap.io.SmallTmpfs;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.result.OutputFormat;
import org.fpwap.result.Result;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Disk space: preflight counts the outputs as well as the residual buffer and refuses, with the numbers and
 * the directory, when they do not fit; a disk that fills during the run fails it with the path and what was
 * being written, never with a SIGBUS; the estimates bound the files actually written.
 */
class DiskSpaceTest {

    private static final int HIDDEN = 64;

    @TempDir
    static Path tmp;

    private static Path model;

    @BeforeAll
    static void makeModel() {
        model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(2).build(), model);
    }

    /** An emitting callback that declares its footprint, as the built-in ones do. */
    private record Emitting(String name, LayerSelection layers, Set<Hook> hooks, boolean perToken,
            Function<Batch, CallbackAction> before) implements Callback, OutputSize {
        @Override
        public CallbackAction onBatch(Batch batch) {
            if (before != null) {
                before.apply(batch);
            }
            return perToken ? CallbackAction.Emit.perToken(batch.activations())
                    : CallbackAction.Emit.perSample(batch.lastRealToken());
        }

        @Override
        public Footprint footprint(Extent extent) {
            return perToken ? Footprint.perToken(extent.hiddenSize()) : Footprint.perSample(extent.hiddenSize());
        }
    }

    /** A pooled emit stored as {@code store}, declaring that store in its footprint. */
    private record StoredEmitting(String name, Store store) implements Callback, OutputSize {
        @Override
        public LayerSelection layers() {
            return Layers.of(1);
        }

        @Override
        public Set<Hook> hooks() {
            return Set.of(Hook.RESIDUAL_POST);
        }

        @Override
        public CallbackAction onBatch(Batch batch) {
            return CallbackAction.Emit.perSample(batch.lastRealToken()).stored(store);
        }

        @Override
        public Footprint footprint(Extent extent) {
            return Footprint.perSample(extent.hiddenSize()).stored(store);
        }
    }

    private static List<Sample> prompts(int count, int length) {
        return SweepTestData.prompts(5, 128, java.util.stream.IntStream.generate(() -> length).limit(count).toArray());
    }

    @Test
    void preflightRefusesWhenTheOutputsDoNotFitNamingTheDirectoryAndTheBytes() throws Exception {
        try (SmallTmpfs fs = SmallTmpfs.mount(tmp.resolve("refuse"), 1 << 20)) {
            Path work = fs.root().resolve("work");
            // 64 prompts × 30 tokens × 64 × 4 B = 480 KiB of residual buffer: fits. Every token at two hooks of two
            // layers is four times that again: does not.
            Callback all = new Emitting("all", Layers.all(), Set.of(Hook.RESIDUAL_PRE, Hook.RESIDUAL_POST), true, null);
            try (Sweep sweep = Sweep.builder().model(model).dataset(Dataset.of(prompts(64, 30))).callbacks(all)
                    .workDir(work).build()) {
                Plan plan = sweep.preflight();
                assertFalse(plan.feasible(), plan.summary());
                String blocker = String.join("\n", plan.blockers());
                assertTrue(blocker.contains(work.toString()), blocker);
                assertTrue(blocker.contains("residual buffer 480.0 KiB"), blocker);
                assertTrue(blocker.contains("activation files 1.9 MiB"), blocker);
                assertTrue(plan.diskBytes() > 4 * 480 * 1024, plan.summary());
                PlanException e = assertThrows(PlanException.class, sweep::run);
                assertTrue(e.getMessage().contains("only"), e.getMessage());
            }
            try (Stream<Path> files = Files.walk(work)) {
                assertTrue(files.allMatch(Files::isDirectory), "nothing was written in " + work);
            }
        }
    }

    @Test
    void aDiskThatFillsDuringTheRunFailsNamingTheFileAndLeavesEarlierFilesAlone() throws Exception {
        try (SmallTmpfs fs = SmallTmpfs.mount(tmp.resolve("fills"), 4 << 20)) {
            Path work = fs.root().resolve("work");
            Path existing = Files.writeString(fs.root().resolve("earlier-results.txt"), "keep me");
            // Layer 0's callback plays another process that fills the disk; layer 1's emit file then has no room.
            Callback filler = TestCallback.read("filler", Layers.of(0), Set.of(Hook.RESIDUAL_POST), b -> {
                try {
                    // Once: how many microbatches layer 0 has depends on the measured microbatch choice.
                    if (!Files.exists(fs.root().resolve("other-process.bin"))) {
                        fs.fillUp("other-process.bin");
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return CallbackAction.nothing();
            });
            Callback late = new Emitting("late", Layers.of(1), Set.of(Hook.RESIDUAL_POST), true, null);
            try (Sweep sweep = Sweep.builder().model(model).dataset(Dataset.of(prompts(16, 20))).callbacks(filler, late)
                    .workDir(work).build()) {
                RuntimeException e = assertThrows(RuntimeException.class, sweep::run);
                DiskSpaceException full = diskSpaceCause(e);
                assertTrue(full.getMessage().contains(work.toString()), full.getMessage());
                assertTrue(full.getMessage().contains("late"), "names the stream being written: " + full.getMessage());
                assertTrue(full.getMessage().contains("no space left on the device"), full.getMessage());
            }
            assertEquals("keep me", Files.readString(existing));
        }
    }

    @Test
    void theEmitFileEstimatesBoundTheFilesWritten() throws IOException {
        Callback pooled = new Emitting("pooled", Layers.of(1), Set.of(Hook.RESIDUAL_POST), false, null);
        Callback all = new Emitting("all", Layers.of(1), Set.of(Hook.MLP_OUT), true, null);
        List<Sample> data = SweepTestData.prompts(9, 128, 3, 17, 30, 1, 8, 12, 25, 4, 9, 30, 2);
        long tokens = SweepTestData.realTokens(data);
        int n = data.size();
        try (Sweep sweep = Sweep.builder().model(model).dataset(Dataset.of(data)).callbacks(pooled, all)
                .workDir(tmp.resolve("estimate-work")).build()) {
            Result result = sweep.run();
            result.export(tmp.resolve("arrow"), OutputFormat.ARROW);
            result.export(tmp.resolve("st"), OutputFormat.SAFETENSORS);
        }
        assertBounds(OutputSizeEstimator.emitFileBytes(OutputSize.Footprint.perSample(HIDDEN), n, tokens),
                tmp.resolve("st/layer-1/residual_post.safetensors"));
        assertBounds(OutputSizeEstimator.emitFileBytes(OutputSize.Footprint.perToken(HIDDEN), n, tokens),
                tmp.resolve("st/layer-1/mlp_out.safetensors"));
        assertBounds(OutputSizeEstimator.arrowFileBytes(OutputSize.Footprint.perSample(HIDDEN), n, tokens),
                tmp.resolve("arrow/layer-1/residual_post.arrow"));
        assertBounds(OutputSizeEstimator.arrowFileBytes(OutputSize.Footprint.perToken(HIDDEN), n, tokens),
                tmp.resolve("arrow/layer-1/mlp_out.arrow"));
    }

    @Test
    void storedEmitEstimatesBoundTheFilesWrittenInThatStore() throws IOException {
        // 1,000 pooled rows of 64 values: 256 KB in F32, 128 KB in BF16, 68 KB in int8 with its scales, so an estimate
        // that ignored the store would overshoot the 64 KiB allowance.
        List<Sample> data = SweepTestData.prompts(9, 128, java.util.stream.IntStream.range(0, 1000).map(i -> 2 + i % 5).toArray());
        long tokens = SweepTestData.realTokens(data);
        int n = data.size();
        for (Store store : List.of(Store.BF16, Store.INT8)) {
            Callback cb = new StoredEmitting("stored", store);
            Path out = tmp.resolve("stored-" + store.wireName());
            try (Sweep sweep = Sweep.builder().model(model).dataset(Dataset.of(data)).callbacks(cb)
                    .workDir(tmp.resolve("stored-work-" + store.wireName())).build()) {
                Result result = sweep.run();
                result.export(out.resolve("arrow"), OutputFormat.ARROW);
                result.export(out.resolve("st"), OutputFormat.SAFETENSORS);
            }
            OutputSize.Footprint f = OutputSize.Footprint.perSample(HIDDEN).stored(store);
            // Within 64 KiB of the actual files: an F32-sized estimate (2-4x the values) would be far above.
            assertBounds(OutputSizeEstimator.emitFileBytes(f, n, tokens), out.resolve("st/layer-1/residual_post.safetensors"));
            assertBounds(OutputSizeEstimator.arrowFileBytes(f, n, tokens), out.resolve("arrow/layer-1/residual_post.arrow"));
        }
    }

    /** The estimate is at least the file's size and at most the size plus the fixed allowances (headers, metadata). */
    private static void assertBounds(long estimate, Path file) throws IOException {
        long actual = Files.size(file);
        assertTrue(estimate >= actual, file + ": estimate " + estimate + " < actual " + actual);
        assertTrue(estimate <= actual + 64 * 1024, file + ": estimate " + estimate + " far above actual " + actual);
    }

    private static DiskSpaceException diskSpaceCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof DiskSpaceException d) {
                return d;
            }
        }
        throw new AssertionError("no DiskSpaceException in the causes", e);
    }
}
