package org.fpwap.dataset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ModelTokenizer}: which {@code tokenizer.json} text prompts use and whether and which BOS they get,
 * on the hand-written test tokenizer (the=3 cat=4 sat=5, {@code <s>}=1, {@code </s>}=2: ids from its README,
 * not from running it).
 */
class ModelTokenizerTest {
    private static final Supplier<OptionalInt> NO_CONFIG_BOS = OptionalInt::empty;
    private static final Supplier<OptionalInt> CONFIG_MUST_NOT_BE_ASKED = () -> fail("config.json's bos_token_id was read");

    @TempDir
    Path model;

    private void tokenizerBesideModel(String tokenizerConfig) throws IOException {
        Files.copy(TextTokenizerTest.tinyTokenizer(), model.resolve("tokenizer.json"));
        Files.writeString(model.resolve("config.json"), "{}");
        if (tokenizerConfig != null) {
            Files.writeString(model.resolve("tokenizer_config.json"), tokenizerConfig);
        }
    }

    private int[] encode(Optional<Boolean> addBos, Supplier<OptionalInt> configBos) {
        try (TextTokenizer t = ModelTokenizer.open(model, Optional.empty(), addBos, configBos)) {
            return t.encode("the cat sat");
        }
    }

    @Test
    void theTokenizerBesideConfigJsonIsUsedWithoutBeingNamed() throws IOException {
        tokenizerBesideModel(null);
        try (TextTokenizer t = ModelTokenizer.open(model, Optional.empty(), Optional.empty(), NO_CONFIG_BOS)) {
            assertEquals(model.resolve("tokenizer.json"), t.source());
            assertArrayEquals(new int[] {3, 4, 5}, t.encode("the cat sat"));
        }
    }

    @Test
    void withoutATokenizerConfigNoBosIsAddedAsBefore() throws IOException {
        tokenizerBesideModel(null);
        assertArrayEquals(new int[] {3, 4, 5}, encode(Optional.empty(), CONFIG_MUST_NOT_BE_ASKED));
    }

    @Test
    void addBosTokenTruePrependsTheTokenizersIdForBosToken() throws IOException {
        tokenizerBesideModel("{\"add_bos_token\": true, \"bos_token\": \"<s>\", \"eos_token\": \"</s>\"}");
        assertArrayEquals(new int[] {1, 3, 4, 5}, encode(Optional.empty(), CONFIG_MUST_NOT_BE_ASKED));
    }

    @Test
    void theBosTokenMayBeAnAddedTokenObject() throws IOException {
        tokenizerBesideModel("{\"add_bos_token\": true, \"bos_token\": {\"__type\": \"AddedToken\", \"content\": \"</s>\"}}");
        assertArrayEquals(new int[] {2, 3, 4, 5}, encode(Optional.empty(), CONFIG_MUST_NOT_BE_ASKED));
    }

    @Test
    void withoutABosTokenTheIdComesFromConfigJson() throws IOException {
        tokenizerBesideModel("{\"add_bos_token\": true}");
        assertArrayEquals(new int[] {7, 3, 4, 5}, encode(Optional.empty(), () -> OptionalInt.of(7)));
    }

    @Test
    void addBosTokenFalseAddsNone() throws IOException {
        tokenizerBesideModel("{\"add_bos_token\": false, \"bos_token\": \"<s>\"}");
        assertArrayEquals(new int[] {3, 4, 5}, encode(Optional.empty(), CONFIG_MUST_NOT_BE_ASKED));
    }

    @Test
    void theExplicitChoiceOverridesTheTokenizerConfigBothWays() throws IOException {
        tokenizerBesideModel("{\"add_bos_token\": false, \"bos_token\": \"<s>\"}");
        assertArrayEquals(new int[] {1, 3, 4, 5}, encode(Optional.of(true), CONFIG_MUST_NOT_BE_ASKED));
        Files.writeString(model.resolve("tokenizer_config.json"), "{\"add_bos_token\": true, \"bos_token\": \"<s>\"}");
        assertArrayEquals(new int[] {3, 4, 5}, encode(Optional.of(false), CONFIG_MUST_NOT_BE_ASKED));
    }

    @Test
    void anExplicitTokenizerElsewhereUsesTheTokenizerConfigBesideIt() throws IOException {
        Files.writeString(model.resolve("config.json"), "{}");
        Path other = Files.createDirectories(model.resolve("elsewhere"));
        Files.copy(TextTokenizerTest.tinyTokenizer(), other.resolve("tokenizer.json"));
        Files.writeString(other.resolve("tokenizer_config.json"), "{\"add_bos_token\": true, \"bos_token\": \"<s>\"}");
        try (TextTokenizer t = ModelTokenizer.open(model, Optional.of(other.resolve("tokenizer.json")), Optional.empty(),
                CONFIG_MUST_NOT_BE_ASKED)) {
            assertArrayEquals(new int[] {1, 9, 10}, t.encode("a dog"));
        }
    }

    @Test
    void noTokenizerBesideTheModelNamesWhereItLooked() throws IOException {
        Files.writeString(model.resolve("config.json"), "{}");
        DatasetException e = assertThrows(DatasetException.class,
                () -> ModelTokenizer.open(model, Optional.empty(), Optional.empty(), NO_CONFIG_BOS));
        assertTrue(e.getMessage().contains(model.resolve("tokenizer.json").toString())
                && e.getMessage().contains("--tokenizer"), e.getMessage());
    }

    @Test
    void aBosTokenThatIsNotOneTokenIsNamed() throws IOException {
        tokenizerBesideModel("{\"add_bos_token\": true, \"bos_token\": \"the cat\"}");
        DatasetException e = assertThrows(DatasetException.class, () -> encode(Optional.empty(), NO_CONFIG_BOS));
        assertTrue(e.getMessage().contains("tokenizer_config.json: bos_token \"the cat\"")
                && e.getMessage().contains("[3, 4]"), e.getMessage());
    }

    @Test
    void addBosWithNoBosAnywhereIsAnError() throws IOException {
        tokenizerBesideModel("{\"add_bos_token\": true}");
        DatasetException e = assertThrows(DatasetException.class, () -> encode(Optional.empty(), NO_CONFIG_BOS));
        assertTrue(e.getMessage().contains("bos_token_id"), e.getMessage());
    }

    @Test
    void aMistypedAddBosTokenNamesFileFieldAndValue() throws IOException {
        tokenizerBesideModel("{\"add_bos_token\": \"yes\"}");
        DatasetException e = assertThrows(DatasetException.class, () -> encode(Optional.empty(), NO_CONFIG_BOS));
        assertEquals(model.resolve("tokenizer_config.json") + ": add_bos_token must be true or false, got \"yes\"",
                e.getMessage());
    }
}
