package org.fpwap.dataset;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;

/** {@link Dataset#fromFile}: picks the reader by file name, then by the first bytes. */
final class DatasetFormats {
    private DatasetFormats() {}

    static Dataset detect(Path file) {
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".jsonl") || name.endsWith(".ndjson") || name.endsWith(".json")) {
            return Dataset.jsonl(file);
        }
        if (name.endsWith(".arrow") || name.endsWith(".arrows") || name.endsWith(".feather") || name.endsWith(".ipc")) {
            return Dataset.arrow(file);
        }
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(6);
        } catch (NoSuchFileException e) {
            throw new DatasetException(file + ": input file not found");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        boolean arrowFile = head.length == 6 && new String(head, StandardCharsets.US_ASCII).equals("ARROW1");
        boolean arrowStream = head.length >= 4 && head[0] == -1 && head[1] == -1 && head[2] == -1 && head[3] == -1;
        return arrowFile || arrowStream ? Dataset.arrow(file) : Dataset.jsonl(file);
    }
}
