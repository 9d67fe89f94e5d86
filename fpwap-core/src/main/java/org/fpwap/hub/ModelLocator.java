package org.fpwap.hub;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Turns a model reference — a directory, or a Hugging Face id {@code ORG/NAME} with an optional revision —
 * into the directory to read, looking ids up in the local Hugging Face cache only.
 *
 * <p>Rules, in order: a reference that names an existing directory is that directory (a local copy wins
 * over an id of the same spelling); a reference of the form {@code ORG/NAME} (letters, digits, {@code -},
 * {@code _}, {@code .}; no {@code --} or {@code ..}, as the Hub allows) is looked up in the cache of the
 * {@link HubEnvironment}: folder {@code models--ORG--NAME}, the revision ({@code main} by default) read
 * from {@code refs/<revision>} unless it is a 40-hex commit hash, then {@code snapshots/<commit>}, which
 * must hold {@code config.json}. Snapshot files are usually symbolic links into {@code blobs/}; they are
 * read through the links. Any other reference is returned as a directory for the model reader to report.
 * A cache miss throws {@link ModelNotFoundException} naming every place looked at; nothing is downloaded.
 */
public final class ModelLocator {

    /** The revision used when none is given, as in {@code huggingface_hub}. */
    public static final String DEFAULT_REVISION = "main";

    private static final Pattern REPO_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

    private final HubEnvironment environment;

    /** A locator reading the cache chosen by {@code environment}. */
    public ModelLocator(HubEnvironment environment) {
        this.environment = requireNonNull(environment, "environment is null");
    }

    /** A locator for this process's environment. */
    public static ModelLocator system() {
        return new ModelLocator(HubEnvironment.system());
    }

    /** Whether {@code reference} has the shape of a Hugging Face model id, {@code ORG/NAME}. */
    public static boolean isRepoId(String reference) {
        return REPO_ID.matcher(reference).matches() && !reference.contains("--") && !reference.contains("..")
                && !reference.endsWith(".") && !reference.endsWith("-");
    }

    /**
     * The model {@code reference} names.
     *
     * @param reference a model directory or a Hugging Face id {@code ORG/NAME}
     * @param revision a branch or tag (under {@code refs/}) or a commit hash; only for an id
     * @throws ModelNotFoundException if an id is not in the cache (or the snapshot lacks {@code config.json})
     * @throws IllegalArgumentException if a revision is given for a local directory or is not a valid name
     */
    public ModelLocation locate(String reference, Optional<String> revision) {
        requireNonNull(reference, "reference is null");
        requireNonNull(revision, "revision is null");
        if (reference.isBlank()) {
            throw new IllegalArgumentException("the model is empty: give a model directory or a Hugging Face id ORG/NAME");
        }
        Optional<Path> local = asPath(reference);
        if (local.isPresent() && Files.isDirectory(local.get())) {
            if (revision.isPresent()) {
                throw new IllegalArgumentException("revision \"" + revision.get() + "\" applies only to a Hugging Face id, but \""
                        + reference + "\" is the local directory " + local.get().toAbsolutePath()
                        + "; drop the revision, or check out that revision into the directory");
            }
            return ModelLocation.local(local.get());
        }
        if (!isRepoId(reference)) {
            if (revision.isPresent()) {
                throw new IllegalArgumentException("revision \"" + revision.get() + "\" applies only to a Hugging Face id "
                        + "ORG/NAME, and \"" + reference + "\" is neither that nor an existing directory");
            }
            return ModelLocation.local(local.orElseGet(() -> Path.of(reference)));
        }
        return inCache(reference, revision.orElse(DEFAULT_REVISION), local);
    }

    private ModelLocation inCache(String repoId, String revision, Optional<Path> local) {
        checkRevision(revision);
        HubEnvironment.CacheRoot root = environment.cacheRoot();
        Path repo = root.directory().resolve("models--" + repoId.replace("/", "--"));
        String commit;
        if (COMMIT.matcher(revision).matches()) {
            commit = revision;
        } else {
            Path ref = repo.resolve("refs").resolve(revision);
            if (!Files.isRegularFile(ref)) {
                throw notFound(repoId, revision, local, root, Files.isDirectory(repo)
                        ? ref + " (no such ref: the revision was never downloaded)"
                        : repo + " (no such folder: the model was never downloaded to this cache)");
            }
            commit = readRef(ref);
            if (!COMMIT.matcher(commit).matches()) {
                throw new ModelNotFoundException(ref + ": expected a 40-hex commit hash, got \"" + abbreviate(commit)
                        + "\"; the Hugging Face cache entry is damaged (download the model again)");
            }
        }
        Path snapshot = repo.resolve("snapshots").resolve(commit);
        if (!Files.isDirectory(snapshot)) {
            throw notFound(repoId, revision, local, root, snapshot + " (no such snapshot"
                    + (Files.isDirectory(repo) ? "" : "; no folder " + repo + " at all") + ")");
        }
        if (!Files.isRegularFile(snapshot.resolve("config.json"))) {
            throw notFound(repoId, revision, local, root, snapshot.resolve("config.json")
                    + " (the snapshot has no config.json, or it is a dangling link: was the download partial?)");
        }
        return new ModelLocation(snapshot, Optional.of(new HubSnapshot(repoId, revision, commit, root.directory())));
    }

    private ModelNotFoundException notFound(String repoId, String revision, Optional<Path> local,
            HubEnvironment.CacheRoot root, String missing) {
        String localPart = local.map(p -> "the local directory " + p.toAbsolutePath() + " (does not exist)")
                .orElse("no local directory (not a valid path)");
        return new ModelNotFoundException("model \"" + repoId + "\" (revision " + revision + ") is not available offline. "
                + "Looked for " + localPart + ", and in the Hugging Face cache " + root.directory() + " (chosen by "
                + root.chosenBy() + "; " + environment.describeVariables() + ") for " + missing + ". "
                + "fpwap downloads nothing: fetch the model first (e.g. `hf download " + repoId
                + (revision.equals(DEFAULT_REVISION) ? "" : " --revision " + revision) + "`), point HF_HUB_CACHE or "
                + "HF_HOME at the cache that holds it, or pass the model's directory");
    }

    private static void checkRevision(String revision) {
        if (revision.isBlank() || revision.startsWith("/") || revision.contains("\\") || revision.contains("\0")) {
            throw new IllegalArgumentException("revision \"" + revision + "\" is not a branch, tag or commit hash");
        }
        for (String part : revision.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                throw new IllegalArgumentException("revision \"" + revision + "\" is not a branch, tag or commit hash");
            }
        }
    }

    private static String readRef(Path ref) {
        try {
            return Files.readString(ref, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + ref + ": " + e.getMessage(), e);
        }
    }

    private static Optional<Path> asPath(String reference) {
        try {
            return Optional.of(Path.of(reference));
        } catch (InvalidPathException e) {
            return Optional.empty();
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
