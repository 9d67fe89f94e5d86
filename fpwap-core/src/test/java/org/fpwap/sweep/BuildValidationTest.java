package org.fpwap.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.fpwap.callback.CallbackAction;
import org.fpwap.callback.Layers;
import org.fpwap.dataset.Dataset;
import org.fpwap.forward.Hook;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code Sweep.Builder.build()} rejects callbacks that cannot run on the model, before any work is done. */
class BuildValidationTest {

    @TempDir
    static Path tmp;

    static Path model;

    @BeforeAll
    static void makeModel() {
        model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(2).build(), model);
    }

    private static Sweep.Builder builder() {
        return Sweep.builder().model(model).dataset(Dataset.of(SweepTestData.prompts(1, 128, 4, 3))).workDir(tmp.resolve("work"));
    }

    private static TestCallback reader(String name, org.fpwap.callback.LayerSelection layers, Set<Hook> hooks) {
        return TestCallback.read(name, layers, hooks, b -> CallbackAction.nothing());
    }

    @Test
    void aLayerBeyondTheModelFailsInBuildNamingTheCallbackTheLayerAndTheDepth() {
        Sweep.Builder b = builder().callbacks(reader("tooDeep", Layers.of(7), Set.of(Hook.RESIDUAL_POST)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build);
        String m = e.getMessage();
        assertTrue(m.contains("tooDeep") && m.contains("layer 7") && m.contains("2 layers"), m);
    }

    @Test
    void aLayerRangeBeyondTheModelFailsInBuild() {
        Sweep.Builder b = builder().callbacks(reader("tooWide", Layers.range(0, 3), Set.of(Hook.RESIDUAL_POST)));
        String m = assertThrows(IllegalArgumentException.class, b::build).getMessage();
        assertTrue(m.contains("tooWide") && m.contains("3") && m.contains("2 layers"), m);
    }

    @Test
    void aNegativeLayerBeyondTheModelFailsInBuild() {
        Sweep.Builder b = builder().callbacks(reader("tooNegative", Layers.of(-3), Set.of(Hook.RESIDUAL_POST)));
        String m = assertThrows(IllegalArgumentException.class, b::build).getMessage();
        assertTrue(m.contains("tooNegative") && m.contains("-3") && m.contains("2 layers"), m);
    }

    @Test
    void layerMinusOneIsTheLastLayer() {
        List<Integer> seen = new ArrayList<>();
        TestCallback last = TestCallback.read("last", Layers.of(-1), Set.of(Hook.RESIDUAL_PRE), b -> {
            seen.add(b.layer());
            return CallbackAction.nothing();
        });
        try (Sweep sweep = builder().callbacks(last).microbatch(8).build()) {
            assertEquals(1, sweep.deepestLayer());
            sweep.run();
        }
        assertEquals(List.of(1), seen);
    }

    @Test
    void aCallbackWithNoHooksFailsInBuild() {
        Sweep.Builder b = builder().callbacks(reader("hookless", Layers.all(), Set.of()));
        String m = assertThrows(IllegalArgumentException.class, b::build).getMessage();
        assertTrue(m.contains("hookless") && m.contains("no hooks"), m);
    }

    @Test
    void twoCallbacksWithTheSameNameFailInBuild() {
        Sweep.Builder b = builder().callbacks(reader("twin", Layers.all(), Set.of(Hook.ATTN_OUT)),
                reader("twin", Layers.of(0), Set.of(Hook.MLP_OUT)));
        String m = assertThrows(IllegalArgumentException.class, b::build).getMessage();
        assertTrue(m.contains("\"twin\""), m);
    }

    @Test
    void aSweepWithNoCallbacksFailsInBuild() {
        String m = assertThrows(IllegalArgumentException.class, () -> builder().build()).getMessage();
        assertTrue(m.contains("no callbacks"), m);
    }

    @Test
    void aFailedBuildLeavesNoWorkDirectoryBehind() {
        Path work = tmp.resolve("never-made");
        Sweep.Builder b = Sweep.builder().model(model).dataset(Dataset.of(SweepTestData.prompts(1, 128, 4))).workDir(work)
                .callbacks(reader("tooDeep", Layers.of(2), Set.of(Hook.RESIDUAL_POST)));
        assertThrows(IllegalArgumentException.class, b::build);
        assertTrue(java.nio.file.Files.notExists(work), "build created " + work + " before failing");
    }
}
