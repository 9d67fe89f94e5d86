package org.fpwap.dataset;

import static org.fpwap.dataset.Samples.MIXED;
import static org.fpwap.dataset.Samples.assertMentions;
import static org.fpwap.dataset.Samples.assertSameSamples;
import static org.fpwap.dataset.Samples.sample;
import static org.fpwap.dataset.Samples.scanError;
import static org.fpwap.dataset.Samples.writeLines;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlStreamTest {
    @TempDir
    Path dir;

    @Test
    void aJsonlFileStreamsTheSameSamplesAsTheInMemoryDataset() throws IOException {
        Path file = Samples.writeJsonl(dir.resolve("prompts.jsonl"), MIXED);
        assertSameSamples(Samples.readAll(Dataset.of(MIXED)), Dataset.jsonl(file));
    }

    @Test
    void aDatasetCanBeStreamedTwiceWithTheSameResult() throws IOException {
        Dataset dataset = Dataset.jsonl(Samples.writeJsonl(dir.resolve("prompts.jsonl"), MIXED));
        assertSameSamples(MIXED, dataset);
        assertSameSamples(MIXED, dataset);
    }

    @Test
    void integralNumbersInAnyNotationExtraFieldsNullLabelsCrlfAndAByteOrderMarkAreAccepted() throws IOException {
        Path file = dir.resolve("variants.jsonl");
        String text = "\uFEFF{\"label\": 2, \"text\": \"h\\u00e9llo \\\"x\\\"\", \"input_ids\": [1.0, 2e0, 30E-1]}\r\n"
                + "{\"input_ids\":[4],\"label\":null,\"meta\":{\"a\":[1,{\"b\":null}]}}\r\n"
                + "  {\"input_ids\" : [ 5 , 6 ] , \"label\" : -9007199254740993 }  \n"
                + "{\"input_ids\": [7], \"note\": \"caf\u00e9\"}";
        Files.writeString(file, text, StandardCharsets.UTF_8);
        assertSameSamples(List.of(
                sample(0, OptionalLong.of(2), 1, 2, 3),
                sample(1, OptionalLong.empty(), 4),
                sample(2, OptionalLong.of(-9007199254740993L), 5, 6),
                sample(3, OptionalLong.empty(), 7)), Dataset.jsonl(file));
    }

    @Test
    void aBlankLineIsAnErrorNamingTheLine() throws IOException {
        Path file = writeLines(dir.resolve("blank.jsonl"), "{\"input_ids\": [1]}", "", "{\"input_ids\": [2]}");
        assertMentions(scanError(Dataset.jsonl(file), 128, 16), "blank.jsonl:2:", "empty line");
    }

    @Test
    void invalidJsonIsAnErrorNamingTheLineAndColumn() throws IOException {
        Path file = writeLines(dir.resolve("bad.jsonl"), "{\"input_ids\": [1]}", "{\"input_ids\": [2]}",
                "{\"input_ids\": [3,");
        assertMentions(scanError(Dataset.jsonl(file), 128, 16), "bad.jsonl:3:", "not valid JSON", "column");
    }

    @Test
    void lenientJsonSuchAsUnquotedNamesIsRejected() throws IOException {
        Path file = writeLines(dir.resolve("lenient.jsonl"), "{input_ids: [1]}");
        assertMentions(scanError(Dataset.jsonl(file), 128, 16), "lenient.jsonl:1:", "not valid JSON");
    }

    @Test
    void twoValuesOnOneLineAreRejected() throws IOException {
        Path file = writeLines(dir.resolve("two.jsonl"), "{\"input_ids\": [1]} {\"input_ids\": [2]}");
        assertMentions(scanError(Dataset.jsonl(file), 128, 16), "two.jsonl:1:", "not valid JSON");
    }

    @Test
    void aLineThatIsNotAnObjectIsRejectedShowingTheLine() throws IOException {
        Path file = writeLines(dir.resolve("array.jsonl"), "[1, 2, 3]");
        assertMentions(scanError(Dataset.jsonl(file), 128, 16), "array.jsonl:1:", "expected a JSON object", "[1, 2, 3]");
    }

    @Test
    void aMissingInputIdsFieldIsNamed() throws IOException {
        Path file = writeLines(dir.resolve("noids.jsonl"), "{\"tokens\": [1]}");
        assertMentions(scanError(Dataset.jsonl(file), 128, 16), "noids.jsonl:1:", "missing field \"input_ids\"");
    }

    @Test
    void inputIdsThatAreNotAListAreRejectedWithTheValue() throws IOException {
        Path file = writeLines(dir.resolve("str.jsonl"), "{\"input_ids\": \"1 2 3\"}");
        assertMentions(scanError(Dataset.jsonl(file), 128, 16), "str.jsonl:1:", "\"input_ids\" must be a list of integers",
                "\"1 2 3\"");
    }

    @Test
    void aFractionalTokenIdIsRejectedWithItsIndexAndValue() throws IOException {
        Path file = writeLines(dir.resolve("frac.jsonl"), "{\"input_ids\": [1, 2.5]}");
        assertMentions(scanError(Dataset.jsonl(file), 128, 16), "frac.jsonl:1:", "input_ids[1] must be an integer",
                "2.5");
    }

    @Test
    void aQuotedTokenIdIsRejectedRatherThanCoerced() throws IOException {
        Path file = writeLines(dir.resolve("quoted.jsonl"), "{\"input_ids\": [1, \"2\"]}");
        assertMentions(scanError(Dataset.jsonl(file), 128, 16), "quoted.jsonl:1:", "input_ids[1] must be an integer",
                "\"2\"");
    }

    @Test
    void aTokenIdBeyondThirtyTwoBitsIsRejectedWithItsValue() throws IOException {
        Path file = writeLines(dir.resolve("huge.jsonl"), "{\"input_ids\": [4294967297]}");
        assertMentions(scanError(Dataset.jsonl(file), 128, 16), "huge.jsonl:1:", "input_ids[0] = 4294967297",
                "32-bit");
    }

    @Test
    void aNonIntegerLabelIsRejectedWithTheValue() throws IOException {
        Path text = writeLines(dir.resolve("label.jsonl"), "{\"input_ids\": [1]}", "{\"input_ids\": [1], \"label\": \"pos\"}");
        assertMentions(scanError(Dataset.jsonl(text), 128, 16), "label.jsonl:2:", "label must be an integer", "\"pos\"");
        Path fraction = writeLines(dir.resolve("label2.jsonl"), "{\"input_ids\": [1], \"label\": 0.5}");
        assertMentions(scanError(Dataset.jsonl(fraction), 128, 16), "label2.jsonl:1:", "label must be an integer", "0.5");
    }

    @Test
    void aLabelBeyondSixtyFourBitsIsRejectedNotRounded() throws IOException {
        Path file = writeLines(dir.resolve("big.jsonl"), "{\"input_ids\": [1], \"label\": 9223372036854775808}");
        assertMentions(scanError(Dataset.jsonl(file), 128, 16), "big.jsonl:1:", "label must be an integer",
                "9223372036854775808");
    }

    @Test
    void aRepeatedFieldIsRejected() throws IOException {
        Path file = writeLines(dir.resolve("dup.jsonl"), "{\"input_ids\": [1], \"input_ids\": [2]}");
        assertMentions(scanError(Dataset.jsonl(file), 128, 16), "dup.jsonl:1:", "\"input_ids\" appears twice");
    }

    @Test
    void invalidUtf8IsReportedOnTheLineThatHoldsIt() throws IOException {
        Path file = dir.resolve("latin1.jsonl");
        StringBuilder good = new StringBuilder();
        for (int i = 0; i < 5000; i++) { // well past any read-ahead buffer
            good.append("{\"input_ids\": [1], \"text\": \"ok\"}\n");
        }
        byte[] head = good.toString().getBytes(StandardCharsets.UTF_8);
        byte[] bad = "{\"input_ids\": [1], \"text\": \"caf\u00e9\"}\n".getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[head.length + bad.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(bad, 0, all, head.length, bad.length);
        Files.write(file, all);
        assertMentions(scanError(Dataset.jsonl(file), 128, 16), "latin1.jsonl:5001:", "not valid UTF-8");
    }

    @Test
    void aMissingFileIsNamed() {
        Path file = dir.resolve("absent.jsonl");
        DatasetException e = assertThrows(DatasetException.class, () -> Dataset.jsonl(file).open());
        assertMentions(e.getMessage(), "absent.jsonl", "not found");
    }

    @Test
    void jsonlDatasetReadStillReturnsEveryValidatedSample() throws IOException {
        Path file = Samples.writeJsonl(dir.resolve("prompts.jsonl"), MIXED);
        List<Sample> read = JsonlDataset.read(file, 128, 16);
        assertSameSamples(read, Dataset.of(MIXED));
        assertEquals(MIXED.size(), read.size());
    }

    @Test
    void jsonlDatasetReadStillRejectsOutOfVocabularyIds() throws IOException {
        Path file = writeLines(dir.resolve("oov.jsonl"), "{\"input_ids\": [1, 2, 999]}");
        DatasetException e = assertThrows(DatasetException.class, () -> JsonlDataset.read(file, 128, 16));
        assertMentions(e.getMessage(), "oov.jsonl:1: input_ids[2] = 999 is outside the vocabulary [0, 128)");
    }
}
