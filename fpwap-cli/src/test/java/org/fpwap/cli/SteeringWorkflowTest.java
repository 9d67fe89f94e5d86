package org.fpwap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.result.ArrowActivationReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two-pass workflow from the command line: pass 1 fits PCA and diff-of-means without writing raw
 * activations ({@code --pool none}); pass 2 steers along pass 1's component 0 and verifies bit for bit.
 */
class SteeringWorkflowTest {

    @TempDir
    Path tmp;

    @Test
    void pcaThenSteeringAlongItsFirstComponent() throws Exception {
        Path model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.QWEN2).layers(3).build(), model);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            sb.append("{\"input_ids\": [1, ").append(2 + i).append(", ").append(40 + (i * 7) % 80).append("], \"label\": ")
                    .append(i % 2).append("}\n");
        }
        Path input = Files.writeString(tmp.resolve("p.jsonl"), sb);
        Path pass1 = tmp.resolve("pass1");
        CliRun one = CliRun.of("extract", "--model", model.toString(), "--input", input.toString(), "--out", pass1.toString(),
                "--pool", "none", "--pca", "3", "--diff-of-means", "--layers", "0,2", "--quiet");
        assertEquals(0, one.exitCode(), one.toString());
        assertTrue(Files.exists(pass1.resolve("layer-0/residual_post.pca.safetensors")));
        assertTrue(Files.exists(pass1.resolve("layer-2/residual_post.diff_of_means.safetensors")));
        assertFalse(Files.exists(pass1.resolve("layer-0/residual_post.arrow")), "--pool none writes no raw activations");

        Path base = tmp.resolve("unsteered");
        Path pass2 = tmp.resolve("pass2");
        assertEquals(0, CliRun.of("extract", "--model", model.toString(), "--input", input.toString(), "--out", base.toString(),
                "--layers", "2", "--quiet").exitCode());
        CliRun two = CliRun.of("extract", "--model", model.toString(), "--input", input.toString(), "--out", pass2.toString(),
                "--layers", "2", "--steer", pass1.resolve("layer-0/residual_post.pca.safetensors").toString(),
                "--steer-tensor", "components", "--steer-row", "0", "--alpha", "3", "--steer-layers", "0", "--verify");
        assertEquals(0, two.exitCode(), two.toString());
        assertTrue(two.out().contains("verify passed"), two.toString());
        try (ArrowActivationReader a = ArrowActivationReader.open(base.resolve("layer-2/residual_post.arrow"));
                ArrowActivationReader b = ArrowActivationReader.open(pass2.resolve("layer-2/residual_post.arrow"))) {
            float[] x = a.row(0).vector(0);
            float[] y = b.row(0).vector(0);
            double diff = 0;
            for (int h = 0; h < x.length; h++) {
                diff += Math.abs(x[h] - y[h]);
            }
            assertTrue(diff > 1e-3, "steering at layer 0 changes layer 2");
        }
    }

    @Test
    void steeringOptionsWithoutAFileAreRejected() throws Exception {
        Path model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).build(), model);
        Path input = Files.writeString(tmp.resolve("p.jsonl"), "{\"input_ids\": [1]}\n");
        CliRun run = CliRun.of("extract", "--model", model.toString(), "--input", input.toString(), "--out",
                tmp.resolve("o").toString(), "--steer-layers", "0");
        assertEquals(1, run.exitCode(), run.toString());
        assertTrue(run.err().contains("need --steer FILE"), run.toString());
    }
}
