package org.fpwap.dataset;

import static org.fpwap.dataset.Samples.assertMentions;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TextTokenizer} on the hand-written {@code tokenizer/tokenizer.json} test resource; every
 * expected id comes from that file's vocabulary (see the README beside it), not from running a
 * tokenizer.
 */
class TextTokenizerTest {
    @TempDir
    Path dir;

    /** The test resource {@code tokenizer/tokenizer.json}. */
    static Path tinyTokenizer() {
        try {
            return Path.of(TextTokenizerTest.class.getResource("/tokenizer/tokenizer.json").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static TextTokenizer load(boolean addBos) {
        return TextTokenizer.load(tinyTokenizer(), addBos, OptionalInt.of(1));
    }

    @Test
    void sentencesBecomeTheIdsOfTheirWordsAndPunctuation() {
        try (TextTokenizer tokenizer = load(false)) {
            assertArrayEquals(new int[] {3, 4, 5, 6, 3, 7, 8}, tokenizer.encode("the cat sat on the mat."));
            assertArrayEquals(new int[] {9, 10, 13}, tokenizer.encode("a dog ran"));
            assertArrayEquals(new int[] {10, 11, 4, 12}, tokenizer.encode("dog, cat!"));
            assertArrayEquals(new int[] {4, 5}, tokenizer.encode("  cat\t\n sat  "));
        }
    }

    @Test
    void noSpecialTokensAreAddedEvenThoughThePostProcessorWouldWrapThePrompt() {
        try (TextTokenizer tokenizer = load(false)) {
            int[] ids = tokenizer.encode("the cat");
            assertArrayEquals(new int[] {3, 4}, ids, "neither <s>=1 nor </s>=2 from the template");
            assertEquals(OptionalInt.empty(), tokenizer.bosTokenId());
        }
    }

    @Test
    void theBosIdIsPrependedWhenAsked() {
        try (TextTokenizer tokenizer = load(true)) {
            assertArrayEquals(new int[] {1, 3, 4, 5}, tokenizer.encode("the cat sat"));
            assertEquals(OptionalInt.of(1), tokenizer.bosTokenId());
        }
    }

    @Test
    void theBosIdComesFromTheCallerThatIsFromConfigJson() {
        try (TextTokenizer tokenizer = TextTokenizer.load(tinyTokenizer(), true, OptionalInt.of(42))) {
            assertArrayEquals(new int[] {42, 9, 10}, tokenizer.encode("a dog"));
        }
    }

    @Test
    void aBosIdIsIgnoredWhenNotAskedToAddIt() {
        try (TextTokenizer tokenizer = TextTokenizer.load(tinyTokenizer(), false, OptionalInt.of(1))) {
            assertArrayEquals(new int[] {4}, tokenizer.encode("cat"));
            assertEquals(OptionalInt.empty(), tokenizer.bosTokenId());
        }
    }

    @Test
    void unknownWordsBecomeTheUnkId() {
        try (TextTokenizer tokenizer = load(false)) {
            // no normalizer: "The" is not "the"; "café" is one unknown word; ",!" is one punctuation run
            assertArrayEquals(new int[] {0, 4, 0, 0}, tokenizer.encode("The cat barked café"));
            assertArrayEquals(new int[] {10, 0}, tokenizer.encode("dog,!"));
        }
    }

    @Test
    void emptyAndWhitespaceTextGiveNoIdsOrOnlyTheBos() {
        try (TextTokenizer plain = load(false); TextTokenizer withBos = load(true)) {
            assertArrayEquals(new int[0], plain.encode(""));
            assertArrayEquals(new int[0], plain.encode(" \t "));
            assertArrayEquals(new int[] {1}, withBos.encode(""));
        }
    }

    @Test
    void aLongPromptIsNeitherTruncatedNorPadded() {
        try (TextTokenizer tokenizer = load(false)) {
            int[] ids = tokenizer.encode("the cat ".repeat(700).strip());
            assertEquals(1400, ids.length, "DJL's default would cut at 512");
            for (int i = 0; i < ids.length; i++) {
                assertEquals(i % 2 == 0 ? 3 : 4, ids[i], "id " + i);
            }
            assertArrayEquals(new int[] {4}, tokenizer.encode("cat"), "no padding to the longest earlier prompt");
        }
    }

    @Test
    void encodingIsDeterministicAcrossCallsThreadsAndInstances() throws Exception {
        String text = "the dog sat on a mat, the cat ran!";
        int[] expected = {3, 10, 5, 6, 9, 7, 11, 3, 4, 13, 12};
        try (TextTokenizer first = load(false); TextTokenizer second = load(false)) {
            assertArrayEquals(expected, first.encode(text));
            assertArrayEquals(expected, second.encode(text));
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<int[]>> results = new ArrayList<>();
                for (int i = 0; i < 64; i++) {
                    results.add(pool.submit(() -> first.encode(text)));
                }
                for (Future<int[]> result : results) {
                    assertArrayEquals(expected, result.get());
                }
            } finally {
                pool.shutdown();
            }
        }
    }

    @Test
    void aDirectoryHoldingTokenizerJsonCanBeGiven() {
        try (TextTokenizer tokenizer = TextTokenizer.load(tinyTokenizer().getParent(), false, OptionalInt.empty())) {
            assertArrayEquals(new int[] {3, 7}, tokenizer.encode("the mat"));
            assertEquals(tinyTokenizer(), tokenizer.source());
        }
    }

    @Test
    void addBosWithoutABosIdInConfigJsonIsAnError() {
        DatasetException e = assertThrows(DatasetException.class,
                () -> TextTokenizer.load(tinyTokenizer(), true, OptionalInt.empty()));
        assertEquals("tokenizer: --add-bos needs bos_token_id in config.json", e.getMessage());
    }

    @Test
    void aNegativeBosIdIsAnError() {
        assertMentions(assertThrows(DatasetException.class,
                () -> TextTokenizer.load(tinyTokenizer(), true, OptionalInt.of(-1))).getMessage(), "bos_token_id -1");
    }

    @Test
    void aMissingTokenizerFileIsNamed() {
        Path missing = dir.resolve("tokenizer.json");
        assertMentions(assertThrows(DatasetException.class,
                () -> TextTokenizer.load(missing, false, OptionalInt.empty())).getMessage(), missing.toString(), "not found");
    }

    @Test
    void aFileThatIsNotATokenizerIsNamed() throws IOException {
        Path bad = Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"Nonsense\"}}");
        assertMentions(assertThrows(DatasetException.class,
                () -> TextTokenizer.load(bad, false, OptionalInt.empty())).getMessage(), bad.toString(),
                "not a valid Hugging Face tokenizer.json");
        Path truncated = Files.writeString(dir.resolve("cut.json"), "{\"version\": \"1.0\", \"model\": {");
        assertMentions(assertThrows(DatasetException.class,
                () -> TextTokenizer.load(truncated, false, OptionalInt.empty())).getMessage(), truncated.toString(),
                "not a valid");
    }

    @Test
    void closingTwiceIsHarmlessAndEncodingAfterCloseFailsCleanly() {
        TextTokenizer tokenizer = load(true);
        assertFalse(tokenizer.isClosed());
        tokenizer.close();
        assertTrue(tokenizer.isClosed());
        tokenizer.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> tokenizer.encode("the cat"));
        assertMentions(e.getMessage(), "tokenizer.json", "closed");
    }

    @Test
    void theTokenizersJarsRustEngineDoesNotDisplacePyTorchAsDjlsDefaultEngine() {
        // ai.djl.huggingface:tokenizers registers an EngineProvider ("Rust", rank 4); DJL picks the
        // lowest rank, so NDManager.newBaseManager(device) must still mean PyTorch (rank 2)
        assertEquals("PyTorch", ai.djl.engine.Engine.getDefaultEngineName());
    }

    @Test
    void manyTokenizersCanBeLoadedAndClosed() {
        for (int i = 0; i < 200; i++) {
            try (TextTokenizer tokenizer = load(i % 2 == 0)) {
                assertEquals(i % 2 == 0 ? 2 : 1, tokenizer.encode("cat").length);
            }
        }
    }
}
