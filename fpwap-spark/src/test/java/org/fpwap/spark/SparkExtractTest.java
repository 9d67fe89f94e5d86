package org.fpwap.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.fpwap.cli.Fpwap;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code SparkExtract --spark local[2]} writes the directory {@code fpwap extract} writes, manifest included. */
class SparkExtractTest {

    @TempDir
    Path tmp;

    private static Set<Path> files(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            // Hidden files are run bookkeeping (extract's run lock), not outputs; SparkExtract takes no lock.
            return Set.copyOf(walk.filter(Files::isRegularFile).map(dir::relativize)
                    .filter(p -> !p.getFileName().toString().startsWith(".")).toList());
        }
    }

    private static JsonObject manifestOptions(Path dir) throws IOException {
        return JsonParser.parseString(Files.readString(dir.resolve("manifest.json"))).getAsJsonObject().getAsJsonObject("options");
    }

    @Test
    void sparkExtractWritesTheSameFilesAndManifestAsExtract() throws IOException {
        Path model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(2).build(), model);
        Random random = new Random(3);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            lines.add("{\"input_ids\": " + Arrays.toString(random.ints(1 + random.nextInt(6), 0, 128).toArray())
                    + ", \"label\": " + (i % 2) + "}");
        }
        Path input = Files.write(tmp.resolve("prompts.jsonl"), lines);
        List<String> common = List.of("--model", model.toString(), "--input", input.toString(), "--layers", "1", "--pca", "2",
                "--diff-of-means", "--microbatch", "1", "--quiet");
        List<String> single = new ArrayList<>(List.of("extract", "--out", tmp.resolve("single").toString()));
        single.addAll(common);
        StringWriter err = new StringWriter();
        assertEquals(0, Fpwap.execute(single.toArray(String[]::new), new PrintWriter(new StringWriter()), new PrintWriter(err)),
                err.toString());
        List<String> distributed = new ArrayList<>(List.of("--spark", "local[2]", "--out", tmp.resolve("spark").toString()));
        distributed.addAll(common);
        assertEquals(0, SparkExtract.run(distributed.toArray(String[]::new)));

        Set<Path> expected = files(tmp.resolve("single"));
        assertTrue(expected.contains(Path.of("manifest.json")), expected.toString());
        assertEquals(expected, files(tmp.resolve("spark")));
        JsonObject a = manifestOptions(tmp.resolve("single"));
        JsonObject b = manifestOptions(tmp.resolve("spark"));
        assertEquals(a, b);
        assertEquals(outputs(tmp.resolve("single")), outputs(tmp.resolve("spark")), "the manifests list the same outputs");
    }

    private static Set<String> outputs(Path dir) throws IOException {
        JsonObject manifest = JsonParser.parseString(Files.readString(dir.resolve("manifest.json"))).getAsJsonObject();
        Set<String> names = new java.util.HashSet<>();
        manifest.getAsJsonArray("outputs").forEach(e -> names.add(e.getAsString()));
        return names;
    }

    @Test
    void aTextInputIsRefusedWithTheReason() throws IOException {
        Path input = Files.writeString(tmp.resolve("text.jsonl"), "{\"text\": \"hello\"}\n");
        Path model = tmp.resolve("m");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(1).build(), model);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(1, SparkExtract.run(new String[] {"--spark", "local[1]", "--model", model.toString(), "--input",
                input.toString(), "--out", tmp.resolve("o").toString()}, new PrintStream(err, true, StandardCharsets.UTF_8)));
        String reason = err.toString(StandardCharsets.UTF_8);
        assertTrue(reason.startsWith("fpwap-spark: --input " + input + " holds text;")
                && reason.contains("takes token ids (input_ids): tokenize first"), reason);
        assertFalse(reason.contains("\tat "), "no stack trace: " + reason);
    }
}
