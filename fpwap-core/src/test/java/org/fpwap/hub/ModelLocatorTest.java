package org.fpwap.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ModelLocator} on caches laid out as {@code huggingface_hub} writes them ({@link FakeHubCache}); the
 * environment is passed in, never read from this process. Each snapshot's {@code config.json} says which
 * snapshot it is, so a test can tell which one was resolved by reading it back.
 */
class ModelLocatorTest {
    private static final String ID = "acme/tiny-llama";

    @TempDir
    Path tmp;

    private FakeHubCache cache;

    @BeforeEach
    void makeCache() {
        cache = new FakeHubCache(tmp.resolve("hub"));
    }

    private Path modelFiles(String marker) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("src-" + marker));
        Files.writeString(dir.resolve("config.json"), "{\"marker\": \"" + marker + "\"}");
        Files.writeString(dir.resolve("model.safetensors"), "weights of " + marker);
        return dir;
    }

    private static String marker(ModelLocation location) throws IOException {
        return Files.readString(location.directory().resolve("config.json"));
    }

    private ModelLocation locate(String reference, String revision) {
        return new ModelLocator(cache.environment()).locate(reference, Optional.ofNullable(revision));
    }

    @Test
    void anIdResolvesTheSnapshotThatRefsMainPointsAt() throws IOException {
        cache.add(ID, FakeHubCache.commit('a'), modelFiles("old"));
        cache.add(ID, FakeHubCache.commit('b'), modelFiles("current"), "main");
        ModelLocation location = locate(ID, null);
        assertEquals(cache.repo(ID).resolve("snapshots").resolve(FakeHubCache.commit('b')), location.directory());
        assertTrue(marker(location).contains("current"));
        HubSnapshot snapshot = location.snapshot().orElseThrow();
        assertEquals(ID, snapshot.repoId());
        assertEquals("main", snapshot.revision());
        assertEquals(FakeHubCache.commit('b'), snapshot.commit());
        assertTrue(Files.isSymbolicLink(location.directory().resolve("model.safetensors")), "snapshot files are links into blobs/");
        assertEquals("weights of current", Files.readString(location.directory().resolve("model.safetensors")));
    }

    @Test
    void aTagOrBranchRevisionIsReadFromRefs() throws IOException {
        cache.add(ID, FakeHubCache.commit('a'), modelFiles("v1"), "v1.0");
        cache.add(ID, FakeHubCache.commit('b'), modelFiles("current"), "main");
        assertTrue(marker(locate(ID, "v1.0")).contains("v1"));
        assertEquals(FakeHubCache.commit('a'), locate(ID, "v1.0").snapshot().orElseThrow().commit());
    }

    @Test
    void aRevisionWithASlashIsAPathUnderRefs() throws IOException {
        cache.add(ID, FakeHubCache.commit('c'), modelFiles("pr"), "refs/pr/1");
        assertTrue(marker(locate(ID, "refs/pr/1")).contains("pr"));
    }

    @Test
    void aCommitHashNeedsNoRef() throws IOException {
        cache.add(ID, FakeHubCache.commit('a'), modelFiles("pinned"));
        cache.add(ID, FakeHubCache.commit('b'), modelFiles("current"), "main");
        ModelLocation location = locate(ID, FakeHubCache.commit('a'));
        assertTrue(marker(location).contains("pinned"));
        assertEquals(FakeHubCache.commit('a'), location.snapshot().orElseThrow().revision());
    }

    @Test
    void aRefWithATrailingNewlineStillResolves() throws IOException {
        cache.add(ID, FakeHubCache.commit('d'), modelFiles("nl"));
        cache.ref(ID, "main", FakeHubCache.commit('d') + "\n");
        assertTrue(marker(locate(ID, null)).contains("nl"));
    }

    @Test
    void anExistingLocalDirectoryWinsOverTheIdOfTheSameSpelling() throws IOException {
        // a relative ORG/NAME that exists under the working directory (the module directory under Maven)
        Path local = Path.of("target", "hfid-local-" + ProcessHandle.current().pid());
        Files.createDirectories(local);
        try {
            Files.writeString(local.resolve("config.json"), "{\"marker\": \"local\"}");
            String reference = local.toString();
            assertTrue(ModelLocator.isRepoId(reference), reference + " has the shape of an id");
            cache.add(reference, FakeHubCache.commit('e'), modelFiles("cached"), "main");
            ModelLocation location = locate(reference, null);
            assertEquals(local, location.directory());
            assertTrue(location.snapshot().isEmpty());
            assertTrue(marker(location).contains("local"));
        } finally {
            try (Stream<Path> files = Files.walk(local)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    @Test
    void aRevisionForALocalDirectoryIsAnError() throws IOException {
        Path dir = modelFiles("dir");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> locate(dir.toString(), "main"));
        assertTrue(e.getMessage().contains("revision \"main\"") && e.getMessage().contains(dir.toAbsolutePath().toString()),
                e.getMessage());
    }

    @Test
    void referencesThatAreNeitherDirectoriesNorIdsAreLeftToTheModelReader() {
        Path missing = tmp.resolve("no/such/model");
        ModelLocation location = locate(missing.toString(), null);
        assertEquals(missing, location.directory());
        assertTrue(location.snapshot().isEmpty());
    }

    @Test
    void revisionsThatEscapeRefsAreRejected() {
        for (String bad : new String[] {"../../etc", "/abs", "a//b", "v1/..", " "}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> locate(ID, bad), bad);
            assertTrue(e.getMessage().contains("is not a branch, tag or commit hash"), e.getMessage());
        }
    }

    @Test
    void idShapes() {
        assertTrue(ModelLocator.isRepoId("google/gemma-2-2b"));
        assertTrue(ModelLocator.isRepoId("Qwen/Qwen3-0.6B"));
        assertTrue(ModelLocator.isRepoId("meta-llama/Llama-3.2-1B_x"));
        assertFalse(ModelLocator.isRepoId("gpt2"), "ids without an owner are not looked up");
        assertFalse(ModelLocator.isRepoId("/models/llama"));
        assertFalse(ModelLocator.isRepoId("a/b/c"));
        assertFalse(ModelLocator.isRepoId("a--b/c"));
        assertFalse(ModelLocator.isRepoId("a/b..c"));
        assertFalse(ModelLocator.isRepoId("./b"));
    }

    @Test
    void aModelNeverDownloadedNamesTheLocalPathTheCacheItsVariablesAndThatNothingIsDownloaded() {
        Map<String, String> env = new HashMap<>();
        env.put("HF_HOME", tmp.resolve("hf-home").toString());
        ModelNotFoundException e = assertThrows(ModelNotFoundException.class,
                () -> new ModelLocator(new HubEnvironment(env, tmp)).locate(ID, Optional.empty()));
        String m = e.getMessage();
        Path root = tmp.resolve("hf-home").resolve("hub");
        for (String expected : new String[] {"\"" + ID + "\"", "revision main", Path.of(ID).toAbsolutePath().toString(),
                root.toString(), "$HF_HOME/hub", root.resolve("models--acme--tiny-llama").toString(), "HF_HUB_CACHE unset",
                "HUGGINGFACE_HUB_CACHE unset", "HF_HOME=" + tmp.resolve("hf-home"), "XDG_CACHE_HOME unset",
                "downloads nothing", "hf download " + ID}) {
            assertTrue(m.contains(expected), "message lacks " + expected + ": " + m);
        }
    }

    @Test
    void aMissingRefIsNamed() throws IOException {
        cache.add(ID, FakeHubCache.commit('a'), modelFiles("x"), "main");
        ModelNotFoundException e = assertThrows(ModelNotFoundException.class, () -> locate(ID, "v2"));
        assertTrue(e.getMessage().contains(cache.repo(ID).resolve("refs").resolve("v2") + " (no such ref"), e.getMessage());
        assertTrue(e.getMessage().contains("--revision v2"), e.getMessage());
    }

    @Test
    void aRefPointingAtAMissingSnapshotIsNamed() {
        cache.ref(ID, "main", FakeHubCache.commit('f'));
        ModelNotFoundException e = assertThrows(ModelNotFoundException.class, () -> locate(ID, null));
        assertTrue(e.getMessage().contains(cache.repo(ID).resolve("snapshots").resolve(FakeHubCache.commit('f'))
                + " (no such snapshot"), e.getMessage());
    }

    @Test
    void aCommitHashNotInTheCacheIsNamed() {
        ModelNotFoundException e = assertThrows(ModelNotFoundException.class, () -> locate(ID, FakeHubCache.commit('9')));
        assertTrue(e.getMessage().contains(FakeHubCache.commit('9')), e.getMessage());
    }

    @Test
    void aSnapshotWhoseConfigLinkDanglesIsAPartialDownload() throws IOException {
        Path snapshot = cache.add(ID, FakeHubCache.commit('a'), modelFiles("partial"), "main");
        Files.delete(cache.repo(ID).resolve("blobs").resolve(Files.readSymbolicLink(snapshot.resolve("config.json")).getFileName()));
        ModelNotFoundException e = assertThrows(ModelNotFoundException.class, () -> locate(ID, null));
        assertTrue(e.getMessage().contains(snapshot.resolve("config.json") + " (the snapshot has no config.json"), e.getMessage());
    }

    @Test
    void aDamagedRefIsReported() throws IOException {
        cache.add(ID, FakeHubCache.commit('a'), modelFiles("x"));
        cache.ref(ID, "main", "not a hash");
        ModelNotFoundException e = assertThrows(ModelNotFoundException.class, () -> locate(ID, null));
        assertTrue(e.getMessage().contains("refs") && e.getMessage().contains("\"not a hash\""), e.getMessage());
    }

    @Test
    void theCacheDirectoryFollowsHuggingFaceHubsPrecedence() {
        Path home = tmp.resolve("home");
        Map<String, String> env = new HashMap<>();
        assertEquals(home.resolve(".cache/huggingface/hub"), new HubEnvironment(env, home).cacheRoot().directory());
        env.put("XDG_CACHE_HOME", "/xdg");
        assertEquals(Path.of("/xdg/huggingface/hub"), new HubEnvironment(env, home).cacheRoot().directory());
        env.put("HF_HOME", "~/hf");
        assertEquals(home.resolve("hf/hub"), new HubEnvironment(env, home).cacheRoot().directory());
        env.put("HUGGINGFACE_HUB_CACHE", "/legacy");
        assertEquals(Path.of("/legacy"), new HubEnvironment(env, home).cacheRoot().directory());
        env.put("HF_HUB_CACHE", "/hub");
        HubEnvironment.CacheRoot root = new HubEnvironment(env, home).cacheRoot();
        assertEquals(Path.of("/hub"), root.directory());
        assertEquals("$HF_HUB_CACHE", root.chosenBy());
        env.put("HF_HUB_CACHE", "");
        assertEquals(Path.of("/legacy"), new HubEnvironment(env, home).cacheRoot().directory(), "empty counts as unset");
    }
}
