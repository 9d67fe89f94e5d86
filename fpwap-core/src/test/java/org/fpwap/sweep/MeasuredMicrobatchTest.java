package org.fpwap.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.Set;
import org.fpwap.callback.CallbackAction;
import org.fpwap.callback.Layers;
import org.fpwap.forward.Hook;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.profile.MicrobatchProbe;
import org.fpwap.result.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An automatic microbatch is chosen from rates measured on the device, shown in the plan and kept in profile.json. */
class MeasuredMicrobatchTest {

    @TempDir
    Path tmp;

    private Sweep.Builder sweep() {
        Path model = tmp.resolve("model");
        if (!model.toFile().exists()) {
            RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).dims(256, 4, 2, 64).intermediate(704).layers(2)
                    .vocab(1000).maxPositions(128).build(), model);
        }
        return Sweep.builder().model(model).dataset(RssProbe.generated(200, 1000)).workDir(tmp)
                .callbacks(TestCallback.read("none", Layers.all(), Set.of(Hook.RESIDUAL_POST), b -> CallbackAction.nothing()));
    }

    @Test
    void theAutomaticSizeIsOneOfTheMeasuredCandidatesAndTheProfileRecordsTheRates() {
        Plan plan;
        Result result;
        try (Sweep s = sweep().build()) {
            plan = s.preflight();
            result = s.run();
        }
        MicrobatchProbe choice = plan.microbatchChoice();
        assertFalse(choice.rates().isEmpty(), plan.summary());
        assertTrue(choice.rates().stream().anyMatch(r -> r.samples() == choice.chosenSamples()), choice.summary());
        assertTrue(choice.rates().stream().allMatch(r -> r.tokensPerSecond() > 0), choice.summary());
        assertTrue(plan.summary().contains("microbatch:  " + choice.chosenSamples() + " prompts x "), plan.summary());
        assertEquals((long) choice.chosenSamples() * choice.width(), plan.tokenBudget(), plan.summary());
        JsonObject json = JsonParser.parseString(result.profile().toJson()).getAsJsonObject();
        JsonObject mb = json.getAsJsonObject("microbatch");
        assertTrue(mb.getAsJsonArray("rates").size() > 0, json.toString());
        assertTrue(json.getAsJsonArray("layers").get(0).getAsJsonObject().has("sys_s"), json.toString());
        assertTrue(json.get("user_s").getAsDouble() > 0, json.toString());
    }

    @Test
    void aFixedMicrobatchMeasuresNothing() {
        try (Sweep s = sweep().microbatch(8).build()) {
            Plan plan = s.preflight();
            assertTrue(plan.microbatchChoice().rates().isEmpty());
            assertEquals(8, plan.microbatchSamples());
            assertFalse(plan.summary().contains("microbatch:"), plan.summary());
        }
    }
}
