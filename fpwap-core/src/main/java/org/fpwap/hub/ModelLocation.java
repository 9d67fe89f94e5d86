package org.fpwap.hub;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A model directory ({@code config.json} + safetensors), and the cache snapshot it is when it was
 * named by a Hugging Face id.
 *
 * @param directory the directory to read the model from (a snapshot folder for an id)
 * @param snapshot the id, revision and commit, when the model came from the cache
 */
public record ModelLocation(Path directory, Optional<HubSnapshot> snapshot) {
    /** Checks the fields. */
    public ModelLocation {
        requireNonNull(directory, "directory is null");
        requireNonNull(snapshot, "snapshot is null");
    }

    /** A model given as a directory. */
    public static ModelLocation local(Path directory) {
        return new ModelLocation(directory, Optional.empty());
    }

    /** For messages: the directory, or {@code ORG/NAME@REVISION (commit C) at DIR}. */
    public String describe() {
        return snapshot.map(s -> s.repoId() + "@" + s.revision() + " (commit " + s.commit() + ") at " + directory)
                .orElse(directory.toString());
    }
}
