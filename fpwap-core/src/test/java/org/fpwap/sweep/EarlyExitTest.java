package org.fpwap.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
import org.fpwap.profile.LayerProfile;
import org.fpwap.profile.Profile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sweep stops after the deepest layer any callback needs: nothing of the deeper layers is read. */
class EarlyExitTest {

    @TempDir
    Path tmp;

    @Test
    void aCallbackAtLayerOneOfFiveProcessesLayersZeroAndOneOnly() {
        Path model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.QWEN2).layers(5).build(), model);
        List<Integer> seen = new ArrayList<>();
        TestCallback one = TestCallback.read("one", Layers.of(1), Set.of(Hook.RESIDUAL_POST), b -> {
            seen.add(b.layer());
            return CallbackAction.nothing();
        });
        Profile profile;
        try (Sweep sweep = Sweep.builder().model(model).dataset(Dataset.of(SweepTestData.prompts(2, 128, 5, 9, 3, 7)))
                .microbatch(2).callbacks(one).build()) {
            assertEquals(1, sweep.deepestLayer());
            profile = sweep.run().profile();
        }
        assertEquals(List.of(1, 1), seen);
        assertEquals(List.of(0, 1), profile.layers().stream().map(LayerProfile::layer).toList());
        assertEquals(SweepTestData.layerBytes(model, 0) + SweepTestData.layerBytes(model, 1), profile.weightBytesRead());
    }
}
