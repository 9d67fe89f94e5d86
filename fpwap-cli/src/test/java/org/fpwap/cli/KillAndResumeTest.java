package org.fpwap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.run.Journal;
import org.fpwap.run.JournalEntry;
import org.fpwap.safetensors.DType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12 items 1-3 on the real command: a child JVM running {@code fpwap extract} is killed with SIGKILL
 * (kill -9) at named points (during the embedding, mid-layer, between a layer's emit commit and its journal
 * commit, after the sweep before the export, after the export before the manifest); {@code extract --resume}
 * then produces files identical to an uninterrupted run's (raw activations in both formats, PCA and
 * class-mean artifacts). A second run on a locked directory refuses naming the first's process id; SIGTERM
 * and SIGINT stop at the next safe point with exit 143/130 and print the --resume command.
 */
class KillAndResumeTest {

    @TempDir
    static Path tmp;

    private static Path model;
    private static Path input;

    @BeforeAll
    static void makeModelAndPrompts() throws Exception {
        model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(3).dtype(DType.BF16).build(), model);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 30; i++) {
            sb.append("{\"input_ids\": [");
            for (int t = 0; t <= (i * 7) % 11; t++) {
                sb.append(t == 0 ? "" : ", ").append((i * 31 + t * 17) % 128);
            }
            sb.append("], \"label\": ").append(i % 2).append("}\n");
        }
        input = Files.writeString(tmp.resolve("prompts.jsonl"), sb);
    }

    private static List<String> args(Path out, String format) {
        return List.of("extract", "--model", model.toString(), "--input", input.toString(), "--out", out.toString(),
                "--hooks", "residual_post,mlp_out", "--pca", "3", "--diff-of-means", "--format", format, "--microbatch", "4",
                "--quiet");
    }

    private static Map<String, String> uninterrupted(String format) throws IOException {
        Path out = tmp.resolve("uninterrupted-" + format);
        if (!Files.exists(out.resolve("manifest.json"))) {
            CliRun run = CliRun.of(args(out, format).toArray(String[]::new));
            assertEquals(0, run.exitCode(), run.toString());
        }
        return OutputDigests.of(out);
    }

    /** Starts {@code fpwap extract} in a child JVM that pauses at {@code point} (for {@code pauseMs}, or for good). */
    private static Process child(Path out, String format, String point, Path marker, Long pauseMs, Path log) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-opens=java.base/java.nio=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "-Dai.djl.offline=true", "-Xmx256m",
                "-Dfpwap.faultPoint=" + point, "-Dfpwap.faultMarker=" + marker));
        if (pauseMs != null) {
            cmd.add("-Dfpwap.faultPauseMs=" + pauseMs);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Fpwap.class.getName()));
        cmd.addAll(args(out, format));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static void awaitMarker(Process p, Path marker, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (!Files.exists(marker)) {
            if (!p.isAlive()) {
                throw new AssertionError("the child exited (" + p.exitValue() + ") before the fault point:\n" + Files.readString(log));
            }
            if (System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new AssertionError("the child never reached the fault point:\n" + Files.readString(log));
            }
            Thread.sleep(50);
        }
    }

    private static void killAt(String point, String format, int expectedCommitted) throws Exception {
        Path out = tmp.resolve("killed-" + point + "-" + format);
        Path marker = tmp.resolve("marker-" + point + "-" + format);
        Path log = tmp.resolve("log-" + point + "-" + format);
        Process p = child(out, format, point, marker, null, log);
        awaitMarker(p, marker, log);
        p.destroyForcibly(); // SIGKILL: no shutdown hooks, no finally blocks
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        Path work = out.resolve(ExtractJob.WORK_DIR);
        int committed = Journal.read(work).map(JournalEntry::completedLayer).orElse(-2);
        assertEquals(expectedCommitted, committed, "the last layer the journal committed before the kill at " + point);

        if (Files.isDirectory(out.resolve("layer-0"))) {
            // What an export cut short mid-file leaves: the resume removes it.
            Files.writeString(out.resolve("layer-0/.residual_post." + format + ".123.tmp"), "half a file");
        }
        CliRun resumed = CliRun.of(withResume(args(out, format)));
        assertEquals(0, resumed.exitCode(), point + ": " + resumed);
        assertEquals(uninterrupted(format), OutputDigests.of(out), "outputs after kill -9 at " + point + " and --resume");
        assertFalse(Files.exists(out.resolve(ExtractJob.WORK_DIR)), "the work directory is removed after a successful resume");
    }

    private static String[] withResume(List<String> args) {
        List<String> a = new ArrayList<>(args);
        a.add("--resume");
        return a.toArray(String[]::new);
    }

    @Test
    void killedDuringTheEmbeddingResumesFromTheStart() throws Exception {
        killAt("embed", "safetensors", -2);
    }

    @Test
    void killedMidLayerRedoesThatLayer() throws Exception {
        killAt("layer-1-microbatch-2", "safetensors", 0);
        killAt("layer-1-microbatch-2", "arrow", 0);
    }

    @Test
    void killedBetweenTheEmitCommitAndTheJournalCommitRedoesTheLayer() throws Exception {
        killAt("layer-1-emits-committed", "safetensors", 0);
    }

    @Test
    void killedAfterTheSweepBeforeTheExportExportsFromTheJournal() throws Exception {
        killAt("export", "arrow", 2);
    }

    @Test
    void killedBeforeTheManifestWritesItOnResume() throws Exception {
        killAt("manifest", "safetensors", 2);
    }

    @Test
    void aSecondRunOnALockedDirectoryRefusesNamingTheFirstsProcessId() throws Exception {
        Path out = tmp.resolve("locked");
        Path marker = tmp.resolve("marker-locked");
        Path log = tmp.resolve("log-locked");
        Process p = child(out, "arrow", "layer-0-microbatch-0", marker, null, log);
        try {
            awaitMarker(p, marker, log);
            CliRun second = CliRun.of(withResume(args(out, "arrow")));
            assertEquals(ErrorReporter.BAD_INPUT, second.exitCode(), second.toString());
            assertTrue(second.err().contains("in use by another fpwap run (process " + p.pid() + ","), second.toString());
        } finally {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        // The kernel dropped the dead process's lock: the directory is usable at once.
        CliRun resumed = CliRun.of(withResume(args(out, "arrow")));
        assertEquals(0, resumed.exitCode(), resumed.toString());
        assertEquals(uninterrupted("arrow"), OutputDigests.of(out));
    }

    @Test
    void sigtermStopsAtTheNextSafePointWithExit143AndTheResumeCommand() throws Exception {
        signalled("TERM", 143);
    }

    @Test
    void sigintStopsAtTheNextSafePointWithExit130AndTheResumeCommand() throws Exception {
        signalled("INT", 130);
    }

    private static void signalled(String signal, int status) throws Exception {
        Path out = tmp.resolve("signal-" + signal);
        Path marker = tmp.resolve("marker-signal-" + signal);
        Path log = tmp.resolve("log-signal-" + signal);
        // The child pauses 2 s after layer 1's first microbatch: the signal arrives there and the stop is taken
        // at the next microbatch boundary.
        Process p = child(out, "safetensors", "layer-1-microbatch-0", marker, 2000L, log);
        awaitMarker(p, marker, log);
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start();
        assertEquals(0, kill.waitFor());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child stops");
        String printed = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(status, p.exitValue(), printed);
        assertTrue(printed.contains("stopped (SIG" + signal + ") after layer 1 microbatch 1 of"), printed);
        assertTrue(printed.contains("fpwap extract --model " + model) && printed.contains(" --resume"), printed);
        assertTrue(Journal.exists(out.resolve(ExtractJob.WORK_DIR)), "OUT is left resumable");
        CliRun resumed = CliRun.of(withResume(args(out, "safetensors")));
        assertEquals(0, resumed.exitCode(), resumed.toString());
        assertEquals(uninterrupted("safetensors"), OutputDigests.of(out));
    }

    @Test
    void aNonEmptyOutIsRefusedNamingBothFlagsAndOverwriteReplacesIt() throws Exception {
        Path out = Files.createDirectories(tmp.resolve("non-empty"));
        Path precious = Files.writeString(out.resolve("notes.txt"), "keep me");
        CliRun refused = CliRun.of(args(out, "arrow").toArray(String[]::new));
        assertEquals(ErrorReporter.BAD_INPUT, refused.exitCode(), refused.toString());
        assertTrue(refused.err().contains("is not empty (notes.txt)") && refused.err().contains("--resume")
                && refused.err().contains("--overwrite"), refused.toString());
        assertEquals("keep me", Files.readString(precious));

        CliRun noJournal = CliRun.of(withResume(args(out, "arrow")));
        assertEquals(ErrorReporter.BAD_INPUT, noJournal.exitCode(), noJournal.toString());
        assertTrue(noJournal.err().contains("holds no journal to resume"), noJournal.toString());

        List<String> overwrite = new ArrayList<>(args(out, "arrow"));
        overwrite.add("--overwrite");
        CliRun replaced = CliRun.of(overwrite.toArray(String[]::new));
        assertEquals(0, replaced.exitCode(), replaced.toString());
        assertFalse(Files.exists(precious));
        assertEquals(uninterrupted("arrow"), OutputDigests.of(out));

        CliRun finished = CliRun.of(withResume(args(out, "arrow")));
        assertEquals(ErrorReporter.BAD_INPUT, finished.exitCode(), finished.toString());
        assertTrue(finished.err().contains("holds a finished run (manifest.json)"), finished.toString());
    }
}
