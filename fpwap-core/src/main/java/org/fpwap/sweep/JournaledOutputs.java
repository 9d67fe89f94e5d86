package org.fpwap.sweep;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fpwap.result.EmitStream;

/**
 * Second names for a journaled run's committed emit files. {@code Result.export} moves the files it is given;
 * the journal must keep its own until the export is complete, so the result is handed hard links (no bytes
 * copied), or copies where the file system has no links.
 */
final class JournaledOutputs {

    private JournaledOutputs() {}

    /** A {@code result.<name>} link (or copy) beside each file. */
    static Map<EmitStream, Path> linked(Map<EmitStream, Path> committed) {
        Map<EmitStream, Path> out = new LinkedHashMap<>();
        for (Map.Entry<EmitStream, Path> e : committed.entrySet()) {
            Path source = e.getValue();
            Path link = source.resolveSibling("result." + source.getFileName());
            try {
                Files.deleteIfExists(link);
                try {
                    Files.createLink(link, source);
                } catch (UnsupportedOperationException | IOException noLinks) {
                    Files.copy(source, link, StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (IOException ex) {
                throw new UncheckedIOException("cannot give the result its copy of " + source + ": " + ex.getMessage(), ex);
            }
            out.put(e.getKey(), link);
        }
        return out;
    }
}
