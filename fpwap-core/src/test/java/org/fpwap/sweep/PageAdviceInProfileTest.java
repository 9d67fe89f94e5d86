package org.fpwap.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import org.fpwap.callback.CallbackAction;
import org.fpwap.callback.Layers;
import org.fpwap.dataset.Dataset;
import org.fpwap.forward.Hook;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.profile.Profile;
import org.fpwap.profile.ProfileRecorder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The profile says whether the residual buffer's {@code madvise} reached the kernel and how many calls it refused. */
class PageAdviceInProfileTest {

    @TempDir
    Path tmp;

    @Test
    void aSweepOnLinuxReportsNativeAdviceWithNoRefusals() {
        Path model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(2).build(), model);
        TestCallback nothing = TestCallback.read("nothing", Layers.all(), Set.of(Hook.RESIDUAL_POST), b -> CallbackAction.nothing());
        Profile profile;
        try (Sweep sweep = Sweep.builder().model(model).dataset(Dataset.of(SweepTestData.prompts(1, 128, 5, 9, 3))).microbatch(1)
                .workDir(tmp.resolve("work")).callbacks(nothing).build()) {
            profile = sweep.run().profile();
        }
        boolean linux = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux");
        assertEquals(linux, profile.pageAdvice().nativeAdvice(), "native madvise on Linux");
        assertEquals(0, profile.pageAdvice().failures());
        JsonObject advice = JsonParser.parseString(profile.toJson()).getAsJsonObject().getAsJsonObject("page_advice");
        assertEquals(linux, advice.get("native").getAsBoolean());
        assertEquals(0, advice.get("failures").getAsLong());
    }

    @Test
    void refusedCallsAppearInTheJsonAndTheSummary() {
        ProfileRecorder recorder = new ProfileRecorder();
        recorder.pageAdvice(true, 7);
        Profile profile = recorder.finish(0);
        JsonObject advice = JsonParser.parseString(profile.toJson()).getAsJsonObject().getAsJsonObject("page_advice");
        assertEquals(7, advice.get("failures").getAsLong());
        assertTrue(profile.summary().contains("7 madvise calls refused"), profile.summary());
    }
}
