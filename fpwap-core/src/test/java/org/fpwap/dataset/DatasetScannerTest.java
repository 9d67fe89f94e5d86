package org.fpwap.dataset;

import static org.fpwap.dataset.ArrowTestFiles.Format.FILE;
import static org.fpwap.dataset.ArrowTestFiles.Format.STREAM;
import static org.fpwap.dataset.ArrowTestFiles.IdsType.LIST_INT32;
import static org.fpwap.dataset.ArrowTestFiles.IdsType.LARGE_LIST_INT64;
import static org.fpwap.dataset.ArrowTestFiles.rows;
import static org.fpwap.dataset.Samples.MIXED;
import static org.fpwap.dataset.Samples.assertMentions;
import static org.fpwap.dataset.Samples.sample;
import static org.fpwap.dataset.Samples.scanError;
import static org.fpwap.dataset.Samples.writeLines;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.OptionalLong;
import org.fpwap.dataset.ArrowTestFiles.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetScannerTest {
    @TempDir
    Path dir;

    /** MIXED written by hand: lengths 3,1,5,2,3; labels 0,-,-3,7,-. */
    private static void assertMixedSummary(DatasetSummary summary) {
        assertEquals(5, summary.sampleCount());
        assertArrayEquals(new int[] {3, 1, 5, 2, 3}, summary.lengths());
        assertEquals(14, summary.totalTokens());
        assertEquals(5, summary.maxLength());
        assertEquals(List.of(OptionalLong.of(0), OptionalLong.empty(), OptionalLong.of(-3), OptionalLong.of(7),
                OptionalLong.empty()), List.of(summary.label(0), summary.label(1), summary.label(2), summary.label(3),
                summary.label(4)));
        assertEquals(3, summary.labelledCount());
    }

    @Test
    void scanningAJsonlFileRecordsLengthsLabelsTotalAndLongest() throws IOException {
        assertMixedSummary(DatasetScanner.scan(Dataset.jsonl(Samples.writeJsonl(dir.resolve("p.jsonl"), MIXED)), 128, 16));
    }

    @Test
    void scanningAnArrowFileRecordsLengthsLabelsTotalAndLongest() throws IOException {
        Path file = ArrowTestFiles.write(dir.resolve("p.arrow"), FILE, LARGE_LIST_INT64, 32, 2, rows(MIXED));
        assertMixedSummary(DatasetScanner.scan(Dataset.arrow(file), 128, 16));
    }

    @Test
    void scanningAnInMemoryDatasetRecordsLengthsLabelsTotalAndLongest() {
        assertMixedSummary(DatasetScanner.scan(Dataset.of(MIXED), 128, 16));
    }

    @Test
    void aSummaryDoesNotShareItsArraysWithCallers() {
        DatasetSummary summary = DatasetScanner.scan(Dataset.of(MIXED), 128, 16);
        summary.lengths()[0] = 99;
        summary.labelled().clear();
        assertEquals(3, summary.length(0));
        assertEquals(3, summary.labelledCount());
    }

    @Test
    void aSummaryWhoseTotalsDisagreeWithItsLengthsIsRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> new DatasetSummary(new int[] {1, 2}, new long[2], new BitSet(), 4, 2));
    }

    @Test
    void anOutOfVocabularyTokenInJsonlNamesFileLineIndexValueAndRange() throws IOException {
        Path file = writeLines(dir.resolve("prompts.jsonl"), "{\"input_ids\": [1]}", "{\"input_ids\": [2]}",
                "{\"input_ids\": [1, 2, 999]}");
        assertMentions(scanError(Dataset.jsonl(file), 128, 16),
                "prompts.jsonl:3: input_ids[2] = 999 is outside the vocabulary [0, 128)");
    }

    @Test
    void aNegativeTokenIsOutsideTheVocabulary() throws IOException {
        Path file = writeLines(dir.resolve("neg.jsonl"), "{\"input_ids\": [-1]}");
        assertMentions(scanError(Dataset.jsonl(file), 128, 16), "neg.jsonl:1: input_ids[0] = -1 is outside the vocabulary");
    }

    @Test
    void anOutOfVocabularyTokenInArrowNamesFileRowIndexValueAndRange() throws IOException {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            rows.add(new Row(new Long[] {1L, 2L}, null));
        }
        rows.set(17, new Row(new Long[] {3L, 128L}, 1L));
        Path file = ArrowTestFiles.write(dir.resolve("data.arrow"), STREAM, LIST_INT32, 64, 5, rows);
        assertMentions(scanError(Dataset.arrow(file), 128, 16),
                "data.arrow row 17: input_ids[1] = 128 is outside the vocabulary [0, 128)");
    }

    @Test
    void anEmptyPromptInJsonlIsNamed() throws IOException {
        Path file = writeLines(dir.resolve("empty.jsonl"), "{\"input_ids\": [1]}", "{\"input_ids\": []}");
        assertMentions(scanError(Dataset.jsonl(file), 128, 16), "empty.jsonl:2:", "\"input_ids\" is empty");
    }

    @Test
    void anEmptyPromptInArrowIsNamed() throws IOException {
        List<Row> rows = new ArrayList<>(rows(MIXED));
        rows.set(4, new Row(new Long[0], null));
        Path file = ArrowTestFiles.write(dir.resolve("empty.arrow"), FILE, LIST_INT32, 0, 2, rows);
        assertMentions(scanError(Dataset.arrow(file), 128, 16), "empty.arrow row 4:", "\"input_ids\" is empty");
    }

    @Test
    void aPromptLongerThanThePositionLimitNamesBothNumbers() throws IOException {
        Path file = writeLines(dir.resolve("long.jsonl"), "{\"input_ids\": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]}");
        assertMentions(scanError(Dataset.jsonl(file), 128, 16), "long.jsonl:1:", "17 tokens", "position limit 16");
    }

    @Test
    void aPromptLongerThanThePositionLimitInArrowNamesTheRow() throws IOException {
        Path file = ArrowTestFiles.write(dir.resolve("long.arrow"), FILE, LIST_INT32, 0, 2, rows(MIXED));
        assertMentions(scanError(Dataset.arrow(file), 128, 4), "long.arrow row 2:", "5 tokens", "position limit 4");
    }

    @Test
    void anEmptyFileIsRejected() throws IOException {
        Path file = Files.writeString(dir.resolve("none.jsonl"), "");
        assertMentions(scanError(Dataset.jsonl(file), 128, 16), "none.jsonl", "no prompts");
    }

    @Test
    void anArrowFileWithNoRowsIsRejected() throws IOException {
        Path file = ArrowTestFiles.write(dir.resolve("none.arrow"), FILE, LIST_INT32, 0, 2, List.of());
        assertMentions(scanError(Dataset.arrow(file), 128, 16), "none.arrow", "no prompts");
    }

    @Test
    void aCustomDatasetYieldingIdsOutOfOrderIsRejected() {
        Dataset shuffled = new Dataset() {
            @Override
            public SampleCursor open() {
                var it = List.of(sample(1, OptionalLong.empty(), 1), sample(0, OptionalLong.empty(), 2)).iterator();
                return new SampleCursor() {
                    public boolean hasNext() {
                        return it.hasNext();
                    }

                    public Sample next() {
                        return it.next();
                    }

                    public void close() {}
                };
            }

            @Override
            public String description() {
                return "shuffled";
            }
        };
        assertMentions(scanError(shuffled, 128, 16), "shuffled", "position 0 has id 1");
    }

    @Test
    void anInMemoryDatasetRequiresIdsInListOrder() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Dataset.of(List.of(sample(0, OptionalLong.empty(), 1), sample(5, OptionalLong.empty(), 1))));
        assertMentions(e.getMessage(), "index 1 has id 5");
    }

    @Test
    void replayYieldsTheScannedSamplesAgain() throws IOException {
        Dataset dataset = Dataset.jsonl(Samples.writeJsonl(dir.resolve("p.jsonl"), MIXED));
        DatasetSummary summary = DatasetScanner.scan(dataset, 128, 16);
        List<Sample> replayed = new ArrayList<>();
        try (SampleCursor cursor = DatasetScanner.replay(dataset, summary, 128, 16)) {
            cursor.forEachRemaining(replayed::add);
        }
        Samples.assertSameSamples(replayed, Dataset.of(MIXED));
    }

    @Test
    void replayNoticesAPromptThatChangedLengthSinceTheScan() throws IOException {
        Path file = Samples.writeJsonl(dir.resolve("p.jsonl"), MIXED);
        Dataset dataset = Dataset.jsonl(file);
        DatasetSummary summary = DatasetScanner.scan(dataset, 128, 16);
        List<Sample> edited = new ArrayList<>(MIXED);
        edited.set(2, sample(2, OptionalLong.of(-3), 5, 6));
        Samples.writeJsonl(file, edited);
        DatasetException e = assertThrows(DatasetException.class, () -> drain(DatasetScanner.replay(dataset, summary, 128, 16)));
        assertMentions(e.getMessage(), "p.jsonl:3:", "changed since it was scanned", "2 tokens", "scan found 5");
    }

    @Test
    void replayNoticesAFileThatGotShorterSinceTheScan() throws IOException {
        Path file = Samples.writeJsonl(dir.resolve("p.jsonl"), MIXED);
        Dataset dataset = Dataset.jsonl(file);
        DatasetSummary summary = DatasetScanner.scan(dataset, 128, 16);
        Samples.writeJsonl(file, MIXED.subList(0, 3));
        DatasetException e = assertThrows(DatasetException.class, () -> drain(DatasetScanner.replay(dataset, summary, 128, 16)));
        assertMentions(e.getMessage(), "p.jsonl", "ends after 3 samples", "scan found 5");
    }

    @Test
    void replayRevalidatesTokensAgainstTheVocabulary() throws IOException {
        Path file = Samples.writeJsonl(dir.resolve("p.jsonl"), MIXED);
        Dataset dataset = Dataset.jsonl(file);
        DatasetSummary summary = DatasetScanner.scan(dataset, 128, 16);
        List<Sample> edited = new ArrayList<>(MIXED);
        edited.set(1, sample(1, OptionalLong.empty(), 4000));
        Samples.writeJsonl(file, edited);
        DatasetException e = assertThrows(DatasetException.class, () -> drain(DatasetScanner.replay(dataset, summary, 128, 16)));
        assertMentions(e.getMessage(), "p.jsonl:2: input_ids[0] = 4000 is outside the vocabulary [0, 128)");
    }

    private static void drain(SampleCursor cursor) {
        try (cursor) {
            while (cursor.hasNext()) {
                assertFalse(cursor.next().length() == 0);
            }
        }
    }
}
