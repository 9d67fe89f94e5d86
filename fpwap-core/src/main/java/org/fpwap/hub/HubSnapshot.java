package org.fpwap.hub;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/**
 * Where a model named by its Hugging Face id was found in the local cache.
 *
 * @param repoId the id, {@code ORG/NAME}
 * @param revision the revision asked for: a branch or tag under {@code refs/}, or a commit hash
 * @param commit the commit hash the revision resolved to (the snapshot's folder name)
 * @param cacheRoot the hub cache it was found in
 */
public record HubSnapshot(String repoId, String revision, String commit, Path cacheRoot) {
    /** Checks the fields. */
    public HubSnapshot {
        requireNonNull(repoId, "repoId is null");
        requireNonNull(revision, "revision is null");
        requireNonNull(commit, "commit is null");
        requireNonNull(cacheRoot, "cacheRoot is null");
    }
}
