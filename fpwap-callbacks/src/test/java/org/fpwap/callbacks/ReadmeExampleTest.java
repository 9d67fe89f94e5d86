package org.fpwap.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.fpwap.callback.Layers;
import org.fpwap.dataset.Dataset;
import org.fpwap.forward.Hook;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.result.ActivationTable;
import org.fpwap.result.OutputFormat;
import org.fpwap.result.Result;
import org.fpwap.sweep.Plan;
import org.fpwap.sweep.Sweep;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java API example in README.md compiles and runs as written (on a small random model). */
class ReadmeExampleTest {

    @TempDir
    Path tmp;

    @Test
    void theReadmeExampleRuns() throws Exception {
        Path modelDir = tmp.resolve("my-llama");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(21).build(), modelDir);
        Path prompts = Files.writeString(tmp.resolve("prompts.jsonl"),
                "{\"input_ids\": [1, 2, 3]}\n{\"input_ids\": [4, 5]}\n{\"input_ids\": [6]}\n");
        Path out = tmp.resolve("out");

        // --- as in README.md ---
        try (Sweep sweep = Sweep.builder()
                .model(modelDir)
                .dataset(Dataset.jsonl(prompts))
                .callbacks(RawActivations.at(Layers.of(10, 20)).pool(Pool.LAST))
                .device("cpu")
                .build()) {
            Plan plan = sweep.preflight();
            Result result = sweep.run();
            ActivationTable acts = result.activations(20, Hook.RESIDUAL_POST);
            float[] first = acts.vector(0);
            System.out.println(result.profile().summary());
            result.export(out, OutputFormat.ARROW);
            // --- end ---
            assertTrue(plan.feasible(), plan.summary());
            assertEquals(64, first.length);
            assertEquals(3, acts.sampleCount());
        }
        assertTrue(Files.exists(out.resolve("layer-20/residual_post.arrow")));
        assertTrue(Files.exists(out.resolve("layer-10/residual_post.arrow")));
    }
}
