package org.fpwap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fpwap demo} end to end on its small configuration (the same workflow on a 64-wide model): it builds the
 * model and prompts once, plans, runs pass 1 (activations, PCA, class means), steers in pass 2 with the naive
 * schedule verifying it bit for bit, and reports a non-zero shift of the last layer.
 */
class DemoCommandTest {

    @TempDir
    Path tmp;

    @Test
    void theSmallDemoRunsTheWholeWorkflowAndReusesItsCache() throws Exception {
        Path cache = tmp.resolve("cache");
        CliRun first = CliRun.of("demo", "--small", "--cache", cache.toString());
        assertEquals(0, first.exitCode(), first.toString());
        String out = first.out();
        assertTrue(out.contains("building the demo model and prompts"), first.toString());
        assertTrue(out.contains("plan: feasible"), first.toString());
        assertTrue(out.contains("pass 1: RawActivations (last token) + IncrementalPCA (k=4) + DiffOfMeans at every layer"), first.toString());
        assertTrue(out.contains("verified against the naive schedule"), first.toString());
        assertTrue(out.contains("verify passed: "), "pass 2 verifies, as extract --verify: " + first);

        Matcher shift = Pattern.compile("steering moved the last layer's last-token activations by ([0-9.]+)% ").matcher(out);
        assertTrue(shift.find(), first.toString());
        assertTrue(Double.parseDouble(shift.group(1)) > 0, "steering must move the last layer: " + shift.group(0));

        Path run = cache.resolve("demo-v2-small/run");
        for (int layer = 0; layer < 4; layer++) {
            assertTrue(Files.exists(run.resolve("pass1/layer-" + layer + "/residual_post.pca.safetensors")), "PCA at layer " + layer);
            assertTrue(Files.exists(run.resolve("pass1/layer-" + layer + "/residual_post.diff_of_means.safetensors")));
        }
        assertTrue(Files.exists(run.resolve("pass2/layer-3/residual_post.arrow")));
        assertTrue(Files.exists(run.resolve("pass2/manifest.json")));

        CliRun second = CliRun.of("demo", "--small", "--cache", cache.toString(), "--quiet");
        assertEquals(0, second.exitCode(), second.toString());
        assertFalse(second.out().contains("building"), "the cached model is reused: " + second);
        assertEquals("", second.out(), "--quiet prints nothing: " + second);
    }
}
