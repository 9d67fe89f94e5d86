package org.fpwap.dataset;

import static org.fpwap.dataset.Samples.assertMentions;
import static org.fpwap.dataset.Samples.assertSameSamples;
import static org.fpwap.dataset.Samples.readAll;
import static org.fpwap.dataset.Samples.sample;
import static org.fpwap.dataset.Samples.scanError;
import static org.fpwap.dataset.Samples.writeLines;
import static org.fpwap.dataset.TextTokenizerTest.load;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Dataset#jsonlText}: JSONL text prompts tokenized with the hand-written test tokenizer
 * ({@code tokenizer/tokenizer.json}: the=3 cat=4 sat=5 on=6 mat=7 .=8 a=9 dog=10 ,=11 !=12 ran=13,
 * unknown=0, BOS=1).
 */
class TextPromptsTest {
    @TempDir
    Path dir;

    private TextTokenizer plain;
    private TextTokenizer withBos;

    @BeforeEach
    void loadTokenizers() {
        plain = load(false);
        withBos = load(true);
    }

    @AfterEach
    void closeTokenizers() {
        plain.close();
        withBos.close();
    }

    private Path prompts() throws IOException {
        return writeLines(dir.resolve("prompts.jsonl"),
                "{\"text\": \"the cat sat on the mat.\", \"label\": 1}",
                "{\"text\": \"a dog ran\"}",
                "{\"label\": -2, \"source\": \"x\", \"text\": \"The dog, the cat!\"}",
                "{\"text\": \"cat\", \"label\": null}");
    }

    private static final List<Sample> PROMPTS = List.of(
            sample(0, OptionalLong.of(1), 3, 4, 5, 6, 3, 7, 8),
            sample(1, OptionalLong.empty(), 9, 10, 13),
            sample(2, OptionalLong.of(-2), 0, 10, 11, 3, 4, 12),
            sample(3, OptionalLong.empty(), 4));

    private static List<Sample> withBos(List<Sample> samples) {
        List<Sample> out = new ArrayList<>();
        for (Sample s : samples) {
            int[] ids = new int[s.length() + 1];
            ids[0] = 1;
            s.copyTokensTo(ids, 1);
            out.add(new Sample(s.id(), ids, s.label()));
        }
        return out;
    }

    @Test
    void textLinesBecomeSamplesWithTheTokenizersIdsAndTheirLabels() throws IOException {
        assertSameSamples(PROMPTS, Dataset.jsonlText(prompts(), plain));
    }

    @Test
    void theBosIdIsPrependedToEveryPromptWhenAsked() throws IOException {
        assertSameSamples(withBos(PROMPTS), Dataset.jsonlText(prompts(), withBos));
    }

    @Test
    void escapesAndNonAsciiTextAreDecodedBeforeTokenizing() throws IOException {
        Path file = dir.resolve("escaped.jsonl");
        Files.writeString(file, "\uFEFF{\"text\": \"the\\tcat\\n\\u0073at caf\u00e9\"}\r\n", StandardCharsets.UTF_8);
        assertSameSamples(List.of(sample(0, OptionalLong.empty(), 3, 4, 5, 0)), Dataset.jsonlText(file, plain));
    }

    @Test
    void theScanAndTheReplayAgreeOnLengthsLabelsAndIds() throws IOException {
        Dataset dataset = Dataset.jsonlText(prompts(), withBos);
        DatasetSummary summary = DatasetScanner.scan(dataset, 14, 16);
        assertArrayEquals(new int[] {8, 4, 7, 2}, summary.lengths());
        assertEquals(21, summary.totalTokens());
        assertEquals(8, summary.maxLength());
        assertEquals(2, summary.labelledCount());
        List<Sample> replayed = new ArrayList<>();
        try (SampleCursor cursor = DatasetScanner.replay(dataset, summary, 14, 16)) {
            while (cursor.hasNext()) {
                replayed.add(cursor.next());
            }
        }
        assertEquals(4, replayed.size());
        List<Sample> expected = withBos(PROMPTS);
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i).tokens(), replayed.get(i).tokens(), "replayed ids of sample " + i);
            assertEquals(expected.get(i).label(), replayed.get(i).label());
        }
    }

    @Test
    void textEditedBetweenScanAndReplayIsCaughtNamingTheLine() throws IOException {
        Path file = prompts();
        Dataset dataset = Dataset.jsonlText(file, plain);
        DatasetSummary summary = DatasetScanner.scan(dataset, 14, 16);
        writeLines(file, "{\"text\": \"the cat sat on the mat.\", \"label\": 1}", "{\"text\": \"a dog\"}",
                "{\"label\": -2, \"text\": \"The dog, the cat!\"}", "{\"text\": \"cat\"}");
        try (SampleCursor cursor = DatasetScanner.replay(dataset, summary, 14, 16)) {
            cursor.next();
            assertMentions(assertThrows(DatasetException.class, cursor::next).getMessage(), "prompts.jsonl:2:",
                    "changed", "2 tokens, the scan found 3");
        }
    }

    @Test
    void tokensOutsideTheModelsVocabularyAreRejectedNamingTheLine() throws IOException {
        // a tokenizer bigger than the model: ran=13 does not fit a vocabulary of 12
        assertMentions(scanError(Dataset.jsonlText(prompts(), plain), 12, 16), "prompts.jsonl:2:", "= 13",
                "outside the vocabulary [0, 12)");
    }

    @Test
    void aPromptLongerThanThePositionLimitIsRejectedNotTruncated() throws IOException {
        assertMentions(scanError(Dataset.jsonlText(prompts(), withBos), 14, 7), "prompts.jsonl:1:", "8 tokens",
                "position limit 7");
    }

    @Test
    void textThatProducesNoTokensIsAnErrorNamingTheLine() throws IOException {
        Path file = writeLines(dir.resolve("prompts.jsonl"), "{\"text\": \"cat\"}", "{\"text\": \"dog\"}",
                "{\"text\": \"a\"}", "{\"text\": \"\"}");
        String message = scanError(Dataset.jsonlText(file, plain), 14, 16);
        assertEquals(file + ":4: \"text\" produced no tokens", message);
        assertMentions(message, "prompts.jsonl:4: \"text\" produced no tokens");
    }

    @Test
    void whitespaceOnlyTextIsAnErrorEvenWhenABosWouldBePrepended() throws IOException {
        Path file = writeLines(dir.resolve("blank-text.jsonl"), "{\"text\": \"cat\"}", "{\"text\": \" \\t \"}");
        assertMentions(scanError(Dataset.jsonlText(file, withBos), 14, 16),
                "blank-text.jsonl:2: \"text\" produced no tokens");
        Path empty = writeLines(dir.resolve("empty-text.jsonl"), "{\"text\": \"\"}");
        assertMentions(scanError(Dataset.jsonlText(empty, withBos), 14, 16),
                "empty-text.jsonl:1: \"text\" produced no tokens");
    }

    @Test
    void aMissingTextFieldIsNamed() throws IOException {
        Path file = writeLines(dir.resolve("prompts.jsonl"), "{\"text\": \"cat\"}", "{\"prompt\": \"cat\", \"label\": 0}");
        assertMentions(scanError(Dataset.jsonlText(file, plain), 14, 16), "prompts.jsonl:2:", "missing field \"text\"");
    }

    @Test
    void textThatIsNotAStringIsRejectedWithTheValue() throws IOException {
        Path number = writeLines(dir.resolve("number.jsonl"), "{\"text\": 42}");
        assertMentions(scanError(Dataset.jsonlText(number, plain), 14, 16), "number.jsonl:1:",
                "field \"text\" must be a string", "42");
        Path list = writeLines(dir.resolve("list.jsonl"), "{\"text\": \"cat\"}", "{\"text\": [\"the\", \"cat\"]}");
        assertMentions(scanError(Dataset.jsonlText(list, plain), 14, 16), "list.jsonl:2:",
                "field \"text\" must be a string", "[\"the\",\"cat\"]");
        Path nul = writeLines(dir.resolve("null.jsonl"), "{\"text\": null}");
        assertMentions(scanError(Dataset.jsonlText(nul, plain), 14, 16), "null.jsonl:1:",
                "field \"text\" must be a string", "null");
    }

    @Test
    void inputIdsInATextDatasetAreAnErrorNamingTheLine() throws IOException {
        Path mixed = writeLines(dir.resolve("mixed.jsonl"), "{\"text\": \"cat\"}", "{\"input_ids\": [3, 4]}");
        assertMentions(scanError(Dataset.jsonlText(mixed, plain), 14, 16), "mixed.jsonl:2:", "\"input_ids\"",
                "text dataset", "cannot be mixed");
        Path both = writeLines(dir.resolve("both.jsonl"), "{\"text\": \"cat\", \"input_ids\": [4]}");
        assertMentions(scanError(Dataset.jsonlText(both, plain), 14, 16), "both.jsonl:1:", "\"input_ids\"",
                "text dataset");
    }

    @Test
    void aRepeatedTextFieldIsRejected() throws IOException {
        Path file = writeLines(dir.resolve("twice.jsonl"), "{\"text\": \"cat\", \"text\": \"dog\"}");
        assertMentions(scanError(Dataset.jsonlText(file, plain), 14, 16), "twice.jsonl:1:",
                "field \"text\" appears twice");
    }

    @Test
    void blankLinesAndNonObjectsNameTheTextField() throws IOException {
        Path blank = writeLines(dir.resolve("blank.jsonl"), "{\"text\": \"cat\"}", "");
        assertMentions(scanError(Dataset.jsonlText(blank, plain), 14, 16), "blank.jsonl:2:", "empty line",
                "\"text\"");
        Path string = writeLines(dir.resolve("string.jsonl"), "\"the cat\"");
        assertMentions(scanError(Dataset.jsonlText(string, plain), 14, 16), "string.jsonl:1:",
                "expected a JSON object with \"text\"");
    }

    @Test
    void aBadLabelInATextDatasetIsRejectedAsInTokenFiles() throws IOException {
        Path file = writeLines(dir.resolve("label.jsonl"), "{\"text\": \"cat\", \"label\": 1.5}");
        assertMentions(scanError(Dataset.jsonlText(file, plain), 14, 16), "label.jsonl:1:", "label must be an integer",
                "1.5");
    }

    @Test
    void theDatasetBorrowsTheTokenizerAndRefusesToOpenOnceItIsClosed() throws IOException {
        Dataset dataset = Dataset.jsonlText(prompts(), plain);
        assertSameSamples(PROMPTS, dataset);
        assertFalse(plain.isClosed(), "reading a dataset does not close its tokenizer");
        assertSameSamples(PROMPTS, dataset);
        plain.close();
        assertMentions(assertThrows(IllegalStateException.class, dataset::open).getMessage(), "prompts.jsonl",
                "tokenizer", "closed");
    }

    @Test
    void tokenIdFilesStillReadThroughFromFileAndIgnoreATextField() throws IOException {
        Path file = writeLines(dir.resolve("ids.jsonl"), "{\"input_ids\": [3, 4], \"text\": \"the cat\", \"label\": 1}",
                "{\"input_ids\": [9]}");
        List<Sample> expected = List.of(sample(0, OptionalLong.of(1), 3, 4), sample(1, OptionalLong.empty(), 9));
        assertSameSamples(expected, Dataset.fromFile(file));
        assertSameSamples(expected, Dataset.jsonl(file));
        assertMentions(scanError(Dataset.fromFile(writeLines(dir.resolve("text.jsonl"), "{\"text\": \"cat\"}")), 14, 16),
                "text.jsonl:1:", "missing field \"input_ids\"");
    }

    @Test
    void aTextDatasetDescribesAndLocatesLikeAJsonlFile() throws IOException {
        Path file = prompts();
        Dataset dataset = Dataset.jsonlText(file, plain);
        assertEquals(file.toString(), dataset.description());
        assertEquals(file + ":3", dataset.locate(2));
        assertEquals(4, readAll(dataset).size());
    }
}
