package org.fpwap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Off a terminal, progress is plain lines of a fixed shape; {@code --quiet} prints nothing on success. */
class ProgressOutputTest {

    @TempDir
    Path tmp;

    @Test
    void progressIsPlainLinesOffATerminalAndQuietPrintsNothing() throws Exception {
        Path model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.GEMMA).layers(2).build(), model);
        Path input = Files.writeString(tmp.resolve("p.jsonl"), "{\"input_ids\": [1, 2, 3]}\n{\"input_ids\": [4]}\n");

        CliRun loud = CliRun.of("extract", "--model", model.toString(), "--input", input.toString(), "--out",
                tmp.resolve("loud").toString(), "--microbatch", "1");
        assertEquals(0, loud.exitCode(), loud.toString());
        assertTrue(Pattern.compile("(?m)^sweep: 2 layers x 2 microbatches, 4 tokens per layer$").matcher(loud.out()).find(),
                loud.toString());
        assertTrue(loud.out().contains("profile:") && loud.out().contains("throughput"), loud.toString());

        CliRun quiet = CliRun.of("extract", "--model", model.toString(), "--input", input.toString(), "--out",
                tmp.resolve("quiet").toString(), "--quiet");
        assertEquals(0, quiet.exitCode(), quiet.toString());
        assertEquals("", quiet.out(), quiet.toString());
        assertEquals("", quiet.err(), quiet.toString());
        assertTrue(Files.exists(tmp.resolve("quiet/layer-1/residual_post.arrow")));
    }
}
