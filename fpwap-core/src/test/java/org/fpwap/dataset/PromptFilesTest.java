package org.fpwap.dataset;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link PromptFiles#holdsText}: which inputs the CLI tokenizes with the model's tokenizer. */
class PromptFilesTest {
    @TempDir
    Path dir;

    @Test
    void jsonlWhoseFirstLineHasTextAndNoIdsHoldsText() throws IOException {
        assertTrue(PromptFiles.holdsText(Files.writeString(dir.resolve("a.jsonl"), "{\"text\": \"the cat\"}\n{\"text\": \"x\"}\n")));
        assertTrue(PromptFiles.holdsText(Files.writeString(dir.resolve("bom.jsonl"), "\uFEFF{\"label\": 1, \"text\": \"x\"}\n")));
    }

    @Test
    void tokenIdFilesMalformedMissingAndArrowFilesDoNot() throws IOException {
        assertFalse(PromptFiles.holdsText(Files.writeString(dir.resolve("b.jsonl"), "{\"input_ids\": [1, 2]}\n")));
        assertFalse(PromptFiles.holdsText(Files.writeString(dir.resolve("c.jsonl"),
                "{\"input_ids\": [1, 2], \"text\": \"kept for reference\"}\n")), "ids win, as Dataset.jsonl reads them");
        assertFalse(PromptFiles.holdsText(Files.writeString(dir.resolve("d.jsonl"), "not json\n")));
        assertFalse(PromptFiles.holdsText(Files.writeString(dir.resolve("e.jsonl"), "")));
        assertFalse(PromptFiles.holdsText(dir.resolve("missing.jsonl")));
        assertFalse(PromptFiles.holdsText(Files.write(dir.resolve("f.bin"), "ARROW1\0\0{\"text\": 1}".getBytes(StandardCharsets.US_ASCII))));
    }
}
