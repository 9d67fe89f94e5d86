package org.fpwap.sweep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fpwap.callback.CallbackAction;
import org.fpwap.callback.Layers;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.Sample;
import org.fpwap.forward.ExpertRouting;
import org.fpwap.forward.Hook;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.oracle.HookReference;
import org.fpwap.oracle.MoeDecoderReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A callback at a mixture-of-experts layer's {@code mlp_out} sees which experts the router chose for every real
 * token and their weights: equal to the independent FP64 reference's routing, through a real sweep with several
 * padded microbatches; dense layers and the hooks before the router offer none.
 */
class MoeRoutingCallbackTest {

    @TempDir
    Path tmp;

    @Test
    void callbacksSeeTheReferencesExpertIdsAndWeightsForEveryRealToken() throws Exception {
        Path model = tmp.resolve("qwen2_moe");
        // Layer 0 is dense (mlp_only_layers [0]); layers 1 and 2 are sparse, top 2 of 4, renormalised.
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.QWEN2_MOE).layers(3).dims(48, 4, 2, 16)
                .intermediate(80).vocab(96).seed(41).build(), model);
        List<Sample> prompts = SweepTestData.prompts(5, 96, 7, 3, 12, 1, 9);
        Map<String, int[]> ids = new HashMap<>();
        Map<String, float[]> weights = new HashMap<>();
        Map<String, Boolean> offered = new HashMap<>();
        TestCallback recorder = TestCallback.read("routing", Layers.all(), Set.of(Hook.ATTN_OUT, Hook.MLP_OUT), b -> {
            offered.put(b.layer() + " " + b.hook().name(), b.routing().isPresent());
            b.routing().ifPresent(r -> {
                for (int row = 0; row < b.size(); row++) {
                    for (int t = 0; t < b.length(row); t++) {
                        int pos = b.microbatch().offset(row) + t;
                        String key = b.sampleId(row) + " " + b.layer() + " " + t;
                        ids.put(key, r.experts(row, pos));
                        weights.put(key, r.weights(row, pos));
                    }
                }
            });
            return CallbackAction.nothing();
        });
        try (Sweep sweep = Sweep.builder().model(model).dataset(Dataset.of(prompts)).microbatch(2).callbacks(recorder)
                .build()) {
            sweep.run();
        }
        assertEquals(false, offered.get("0 MLP_OUT"), "a dense layer offers no routing");
        assertEquals(false, offered.get("1 ATTN_OUT"), "no routing before the router runs");
        assertEquals(true, offered.get("1 MLP_OUT"));
        MoeDecoderReference ref = (MoeDecoderReference) HookReference.load(model);
        int checked = 0;
        for (Sample s : prompts) {
            MoeDecoderReference.Run run = ref.run(s.tokens());
            for (int layer = 1; layer < 3; layer++) {
                for (int t = 0; t < s.length(); t++) {
                    String key = s.id() + " " + layer + " " + t;
                    assertArrayEquals(run.experts()[layer][t], ids.get(key), "experts of " + key);
                    float[] got = weights.get(key);
                    for (int j = 0; j < got.length; j++) {
                        assertEquals(run.weights()[layer][t][j], got[j], 1e-5, "weight " + j + " of " + key);
                    }
                    checked++;
                }
            }
        }
        assertEquals(2 * SweepTestData.realTokens(prompts), checked);
        assertTrue(ids.size() >= checked);
    }
}
