package org.fpwap.dataset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.StringJoiner;

/** Shared test data and comparisons. */
final class Samples {
    private Samples() {}

    /** Mixed lengths, labelled and unlabelled, a negative label, and a token 0. */
    static final List<Sample> MIXED = List.of(
            sample(0, OptionalLong.of(0), 1, 2, 3),
            sample(1, OptionalLong.empty(), 4),
            sample(2, OptionalLong.of(-3), 5, 6, 7, 8, 9),
            sample(3, OptionalLong.of(7), 100, 0),
            sample(4, OptionalLong.empty(), 127, 126, 125));

    static Sample sample(long id, OptionalLong label, int... tokens) {
        return new Sample(id, tokens, label);
    }

    static List<Sample> withoutLabels(List<Sample> samples) {
        return samples.stream().map(s -> new Sample(s.id(), s.tokens(), OptionalLong.empty())).toList();
    }

    /** Every sample of one pass, read through a closed cursor. */
    static List<Sample> readAll(Dataset dataset) {
        List<Sample> out = new ArrayList<>();
        try (SampleCursor cursor = dataset.open()) {
            while (cursor.hasNext()) {
                out.add(cursor.next());
            }
        }
        return out;
    }

    static void assertSameSamples(List<Sample> expected, Dataset actual) {
        List<Sample> got = readAll(actual);
        assertEquals(expected.size(), got.size(), "sample count of " + actual.description());
        for (int i = 0; i < expected.size(); i++) {
            Sample e = expected.get(i);
            Sample g = got.get(i);
            assertEquals(e.id(), g.id(), "id of sample " + i);
            assertArrayEquals(e.tokens(), g.tokens(), "tokens of sample " + i);
            assertEquals(e.label(), g.label(), "label of sample " + i);
        }
    }

    /** The samples as JSONL, written by hand (not by our reader's counterpart). */
    static Path writeJsonl(Path file, List<Sample> samples) throws IOException {
        StringBuilder text = new StringBuilder();
        for (Sample s : samples) {
            StringJoiner ids = new StringJoiner(", ", "[", "]");
            for (int t : s.tokens()) {
                ids.add(Integer.toString(t));
            }
            text.append("{\"input_ids\": ").append(ids);
            s.label().ifPresent(l -> text.append(", \"label\": ").append(l));
            text.append("}\n");
        }
        return Files.writeString(file, text);
    }

    static Path writeLines(Path file, String... lines) throws IOException {
        return Files.writeString(file, String.join("\n", lines) + "\n");
    }

    /** Runs the scan expecting a {@link DatasetException}, and returns its message. */
    static String scanError(Dataset dataset, int vocabSize, int maxPositions) {
        return assertThrows(DatasetException.class, () -> DatasetScanner.scan(dataset, vocabSize, maxPositions)).getMessage();
    }

    static void assertMentions(String message, String... parts) {
        for (String part : parts) {
            if (!message.contains(part)) {
                throw new AssertionError("expected the message to contain <" + part + ">, got <" + message + ">");
            }
        }
        assertFalse(message.isBlank());
    }
}
