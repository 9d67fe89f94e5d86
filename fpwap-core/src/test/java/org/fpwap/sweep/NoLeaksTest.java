package org.fpwap.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.fpwap.callback.CallbackAction;
import org.fpwap.callback.Layers;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.Sample;
import org.fpwap.device.Devices;
import org.fpwap.forward.Hook;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.result.OutputFormat;
import org.fpwap.result.Result;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * After {@code sweep.close()} nothing of the run remains: no mapping of the model, the work directory or the
 * emit files (read from {@code /proc/self/maps}), no NDArray or NDManager under DJL's PyTorch system manager,
 * no prefetch thread, and no file the sweep made in its work directory. Each detector is first shown to
 * detect (a deliberate leak, or the state before close), so a passing test means something.
 */
class NoLeaksTest {

    private static final Path MAPS = Path.of("/proc/self/maps");

    @TempDir
    static Path tmp;

    static Path model;
    static final List<Sample> DATA = SweepTestData.prompts(9, 128, 7, 3, 11, 2, 5);

    @BeforeAll
    static void makeModel() {
        model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(2).shards(2).build(), model);
    }

    private static Sweep.Builder sweep() {
        return Sweep.builder().model(model).dataset(Dataset.of(DATA)).microbatch(2).callbacks(RecordingCallback.everywhere());
    }

    /** Lines of /proc/self/maps naming a file under {@code dir}. */
    private static List<String> mappingsUnder(Path dir) {
        String prefix = dir.toAbsolutePath().normalize().toString() + "/";
        try (Stream<String> lines = Files.lines(MAPS)) {
            return lines.filter(l -> l.contains(prefix)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void noMappingOfTheModelTheWorkDirOrTheEmitFilesRemainsAfterClose() {
        Assumptions.assumeTrue(Files.isReadable(MAPS), "no /proc/self/maps on this platform");
        Path work = tmp.resolve("maps-work");
        Sweep sweep = sweep().workDir(work).build();
        Result result = sweep.run();
        result.activations(1, Hook.RESIDUAL_POST).vectors(0);
        // The detector works: the open table maps its emit file in the work directory.
        assertFalse(mappingsUnder(work).isEmpty(), "an open ActivationTable should map its emit file");
        sweep.close();
        assertEquals(List.of(), mappingsUnder(work));
        assertEquals(List.of(), mappingsUnder(model));
    }

    @Test
    void noMappingRemainsAfterAFailedRun() {
        Assumptions.assumeTrue(Files.isReadable(MAPS), "no /proc/self/maps on this platform");
        Path work = tmp.resolve("maps-failed");
        try (Sweep sweep = Sweep.builder().model(model).dataset(Dataset.of(DATA)).microbatch(2).workDir(work)
                .callbacks(RecordingCallback.everywhere(), TestCallback.read("boom", Layers.of(1), Set.of(Hook.MLP_OUT), b -> {
                    throw new IllegalStateException("boom");
                }))
                .build()) {
            assertThrows(IllegalStateException.class, sweep::run);
            assertEquals(List.of(), mappingsUnder(work), "mapped after a failed run, before close");
        }
        assertEquals(List.of(), mappingsUnder(work));
        assertEquals(List.of(), mappingsUnder(model));
        assertEquals(List.of(), directoryListing(work), "a failed run left files in its work directory");
    }

    /** Every resource (array or sub-manager) under {@code manager}, recursively. */
    private static int resources(NDManager manager) {
        try {
            Field f = BaseNDManager.class.getDeclaredField("resources");
            f.setAccessible(true);
            int n = 0;
            for (Object r : ((Map<?, ?>) f.get(manager)).values()) {
                n += 1 + (r instanceof NDManager child ? resources(child) : 0);
            }
            return n;
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("cannot read DJL's resource table: " + e, e);
        }
    }

    private static NDManager systemManager() {
        Devices.prepareComputeThread();
        try (NDManager probe = NDManager.newBaseManager()) {
            NDManager system = probe.getParentManager();
            assertTrue(system.getClass().getName().contains("SystemManager"), system.getClass().getName());
            return system;
        }
    }

    @Test
    void noNDArrayOrNDManagerOutlivesTheSweep() {
        NDManager system = systemManager();
        // The detector works: a leaked array in a never-closed manager shows up in both counts.
        int arraysBefore = system.getManagedArrays().size();
        int resourcesBefore = resources(system);
        NDManager leaked = NDManager.newBaseManager();
        leaked.create(new float[] {1, 2, 3});
        assertEquals(arraysBefore + 1, system.getManagedArrays().size(), "getManagedArrays does not see a leaked array");
        assertEquals(resourcesBefore + 2, resources(system), "the resource walk does not see a leaked manager + array");
        leaked.close();
        assertEquals(resourcesBefore, resources(system));

        Sweep sweep = sweep().workDir(tmp.resolve("nd-work")).verify(true).build();
        try (Result result = sweep.run()) {
            assertTrue(result.verification().orElseThrow().identical());
        }
        sweep.close();
        assertEquals(arraysBefore, system.getManagedArrays().size(), "NDArrays left under the system manager");
        assertEquals(resourcesBefore, resources(system), "NDArrays or NDManagers left under the system manager");
    }

    @Test
    void thePrefetchThreadIsGoneWhenTheRunReturns() {
        try (Sweep sweep = sweep().workDir(tmp.resolve("threads")).build()) {
            sweep.run();
        }
        List<String> alive = Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith("fpwap-prefetch")).toList();
        assertEquals(List.of(), alive);
    }

    @Test
    void aWorkDirectoryTheSweepCreatedIsDeletedOnClose() {
        Path work;
        try (Sweep sweep = sweep().keepResidual(true).build()) {
            work = sweep.workDir();
            sweep.run();
            assertTrue(Files.isDirectory(work));
        }
        assertFalse(Files.exists(work), "the sweep's own work directory survived close(): " + work);
    }

    @Test
    void aNamedWorkDirectoryIsEmptiedOfTheSweepsFilesOnClose() throws IOException {
        Path work = tmp.resolve("named");
        Files.createDirectories(work);
        Files.writeString(work.resolve("users-notes.txt"), "mine");
        try (Sweep sweep = sweep().workDir(work).build()) {
            Result result = sweep.run();
            assertFalse(result.streams().isEmpty());
            // Emit files live in the work directory until close.
            assertTrue(directoryListing(work).size() > 1, directoryListing(work).toString());
        }
        assertEquals(List.of("users-notes.txt"), directoryListing(work));
    }

    @Test
    void keptAndExportedFilesSurviveClose() throws IOException {
        Path work = tmp.resolve("kept");
        Path out = tmp.resolve("exported");
        List<Path> exported;
        try (Sweep sweep = sweep().workDir(work).keepResidual(true).build()) {
            exported = sweep.run().export(out, OutputFormat.SAFETENSORS);
        }
        assertEquals(List.of("residual.fp32.bin"), directoryListing(work));
        for (Path p : exported) {
            assertTrue(Files.isRegularFile(p), "exported file gone after close: " + p);
        }
        assertEquals(2 * 4 + 1, exported.size(), "8 emit streams + profile.json");
    }

    private static List<String> directoryListing(Path dir) {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
