package org.fpwap.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.fpwap.hub.FakeHubCache;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.safetensors.SafetensorsFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --model ORG/NAME} on {@code extract}, {@code preflight} and {@code inspect} against a fake Hugging Face
 * cache passed in as the environment, and text prompts tokenized with the {@code tokenizer.json} in the
 * snapshot. The expected token ids come from the hand-written test tokenizer's vocabulary (the=3 cat=4
 * sat=5 a=9 dog=10 ran=13, {@code <s>}=1), not from running a tokenizer: a text run must equal a token-id run.
 */
class HubModelCliTest {
    private static final String ID = "acme/tiny-llama";
    private static final String NO_TOKENIZER = "acme/no-tokenizer";

    @TempDir
    static Path tmp;

    private static FakeHubCache cache;
    private static Path snapshot;
    private static Path textPrompts;

    @BeforeAll
    static void makeCache() throws IOException, URISyntaxException {
        Path files = tmp.resolve("files");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(2).vocab(32).seed(3).build(), files);
        Path bare = tmp.resolve("bare");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(2).vocab(32).seed(4).build(), bare);
        Files.copy(Path.of(HubModelCliTest.class.getResource("/tokenizer/tokenizer.json").toURI()), files.resolve("tokenizer.json"));
        Files.writeString(files.resolve("tokenizer_config.json"), "{\"add_bos_token\": true, \"bos_token\": \"<s>\"}");
        cache = new FakeHubCache(tmp.resolve("hub"));
        snapshot = cache.add(ID, FakeHubCache.commit('7'), files, "main");
        cache.add(NO_TOKENIZER, FakeHubCache.commit('8'), bare, "main");
        textPrompts = Files.writeString(tmp.resolve("text.jsonl"), "{\"text\": \"the cat sat\", \"label\": 1}\n{\"text\": \"a dog ran\"}\n");
    }

    private static CliRun fpwap(String... args) {
        return CliRun.withHub(cache.environment(), args);
    }

    private static Path idsFile(String name, String... lines) throws IOException {
        return Files.writeString(tmp.resolve(name), String.join("\n", lines) + "\n");
    }

    private static CliRun extract(Path input, Path out, String... more) {
        String[] base = {"extract", "--model", ID, "--input", input.toString(), "--out", out.toString(), "--layers", "0,1",
                "--pool", "all", "--format", "safetensors", "--quiet"};
        String[] args = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, args, base.length, more.length);
        return fpwap(args);
    }

    private static float[] activations(Path out) {
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("layer-1/residual_post.safetensors"))) {
            return f.data("activations").toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
        }
    }

    private static JsonObject manifest(Path out) throws IOException {
        return JsonParser.parseString(Files.readString(out.resolve("manifest.json"))).getAsJsonObject();
    }

    @Test
    void textPromptsUseTheSnapshotsTokenizerAndItsBosWithoutFlags() throws IOException {
        Path text = tmp.resolve("out-text");
        CliRun run = extract(textPrompts, text);
        assertEquals(0, run.exitCode(), run.toString());
        Path ids = tmp.resolve("out-ids");
        CliRun reference = extract(idsFile("ids.jsonl", "{\"input_ids\": [1, 3, 4, 5]}", "{\"input_ids\": [1, 9, 10, 13]}"), ids);
        assertEquals(0, reference.exitCode(), reference.toString());
        assertArrayEquals(activations(ids), activations(text), "text = <s> + the vocabulary's ids");
        JsonObject options = manifest(text).getAsJsonObject("options");
        assertEquals(ID, options.get("model_id").getAsString());
        assertEquals("main", options.get("revision").getAsString());
        assertEquals(FakeHubCache.commit('7'), options.get("commit").getAsString());
        assertEquals(1, options.get("bos_token_id").getAsInt());
        assertEquals(snapshot.resolve("tokenizer.json").toAbsolutePath().toString(), options.get("tokenizer_used").getAsString());
        assertEquals(snapshot.toAbsolutePath().toString(), manifest(text).getAsJsonObject("model").get("path").getAsString());
    }

    @Test
    void noAddBosOverridesTheTokenizerConfig() throws IOException {
        Path text = tmp.resolve("out-nobos");
        CliRun run = extract(textPrompts, text, "--no-add-bos");
        assertEquals(0, run.exitCode(), run.toString());
        Path ids = tmp.resolve("out-ids-nobos");
        CliRun reference = extract(idsFile("ids-nobos.jsonl", "{\"input_ids\": [3, 4, 5]}", "{\"input_ids\": [9, 10, 13]}"), ids);
        assertEquals(0, reference.exitCode(), reference.toString());
        assertArrayEquals(activations(ids), activations(text));
        assertTrue(manifest(text).getAsJsonObject("options").get("bos_token_id").isJsonNull());
    }

    @Test
    void inspectAcceptsAnIdAndSaysWhichSnapshotItRead() {
        CliRun run = fpwap("inspect", ID);
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().contains("model:        " + ID + "@main (commit " + FakeHubCache.commit('7') + ") at " + snapshot),
                run.toString());
        assertTrue(run.out().contains("family:       llama"), run.toString());
    }

    @Test
    void aModelNotInTheCacheIsOneMessageNamingEveryPlaceAndNothingIsWritten() {
        Path out = tmp.resolve("out-missing");
        CliRun run = fpwap("preflight", "--model", "acme/absent", "--revision", "v2", "--input", textPrompts.toString(),
                "--out", out.toString());
        assertEquals(ErrorReporter.BAD_INPUT, run.exitCode(), run.toString());
        for (String expected : new String[] {"fpwap preflight: model \"acme/absent\" (revision v2) is not available offline",
                Path.of("acme/absent").toAbsolutePath().toString(), cache.repo("acme/absent").toString(),
                "HF_HUB_CACHE=" + cache.root(), "HF_HOME unset", "downloads nothing"}) {
            assertTrue(run.err().contains(expected), "stderr lacks " + expected + ": " + run);
        }
        assertFalse(run.err().contains("\tat "), "no stack trace");
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void textPromptsForAModelWithoutATokenizerNameWhereItLooked() {
        CliRun run = fpwap("extract", "--model", NO_TOKENIZER, "--input", textPrompts.toString(), "--out",
                tmp.resolve("out-notok").toString());
        assertEquals(ErrorReporter.BAD_INPUT, run.exitCode(), run.toString());
        assertTrue(run.err().contains(cache.repo(NO_TOKENIZER).resolve("snapshots").resolve(FakeHubCache.commit('8'))
                .resolve("tokenizer.json").toString()) && run.err().contains("--tokenizer"), run.toString());
    }

    @Test
    void addBosWithTokenIdPromptsIsRefused() throws IOException {
        CliRun run = extract(idsFile("ids-bos.jsonl", "{\"input_ids\": [1, 2]}"), tmp.resolve("out-idsbos"), "--add-bos");
        assertEquals(ErrorReporter.BAD_INPUT, run.exitCode(), run.toString());
        assertTrue(run.err().contains("--add-bos/--no-add-bos apply to text prompts"), run.toString());
    }

    @Test
    void aRevisionForALocalDirectoryIsRefused() {
        CliRun run = fpwap("inspect", snapshot.toString(), "--revision", "main");
        assertEquals(ErrorReporter.BAD_INPUT, run.exitCode(), run.toString());
        assertTrue(run.err().contains("applies only to a Hugging Face id"), run.toString());
    }
}
