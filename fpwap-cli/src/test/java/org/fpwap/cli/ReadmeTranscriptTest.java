package org.fpwap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every README transcript ({@code $ scripts/fpwap ...} followed by its output) is run here, in this JVM, and its
 * output compared with the README's line by line, so the transcripts cannot go stale. Timings, rates, the
 * machine's memory budget, the libtorch location and the order of the slowest layers vary between runs: on those
 * lines only the shape is compared (every number masked); every other line (schedule, byte counts, sizes,
 * verify, files) must match exactly. Plain progress lines, printed only when a run takes over 5 s, are dropped.
 */
class ReadmeTranscriptTest {

    private static final Path README = Path.of("..", "README.md");
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final String README_MODEL = "../shared/models/stories260K";
    private static final String README_OUT = "/tmp/stories-out";
    /** Lines whose numbers depend on the machine or the clock. */
    private static final Pattern VARIABLE = Pattern.compile("\\d s\\b|\\d s \\(|tok/s|GFLOP/s|budget|slow layer");
    private static final Pattern NUMBER = Pattern.compile("[0-9][0-9,.]*");
    private static final Pattern PROGRESS = Pattern.compile("^layer \\d+ (microbatch \\d+:|finished in)");

    @TempDir
    Path tmp;

    /** One {@code $ command} and the lines the README shows after it. */
    record Transcript(List<String> args, List<String> output) {}

    static List<Transcript> transcripts() throws IOException {
        List<Transcript> out = new ArrayList<>();
        boolean inBlock = false;
        List<String> command = null;
        List<String> output = null;
        StringBuilder pending = null;
        for (String line : Files.readAllLines(README)) {
            if (line.startsWith("```")) {
                if (inBlock && command != null) {
                    out.add(new Transcript(command, trimTrailingBlanks(output)));
                }
                inBlock = !inBlock;
                command = null;
                continue;
            }
            if (!inBlock) {
                continue;
            }
            if (pending != null) {
                pending.append(' ').append(line.trim());
                if (!line.endsWith("\\")) {
                    command = split(pending.toString());
                    pending = null;
                }
                continue;
            }
            if (line.startsWith("$ scripts/fpwap ")) {
                if (command != null) {
                    out.add(new Transcript(command, trimTrailingBlanks(output)));
                }
                output = new ArrayList<>();
                command = null;
                pending = new StringBuilder(line.substring("$ scripts/fpwap ".length()));
                if (!line.endsWith("\\")) {
                    command = split(pending.toString());
                    pending = null;
                }
            } else if (command != null) {
                output.add(line);
            }
        }
        return out;
    }

    private static List<String> split(String command) {
        return Arrays.stream(command.replace("\\", " ").trim().split("\\s+")).toList();
    }

    private static List<String> trimTrailingBlanks(List<String> lines) {
        List<String> out = new ArrayList<>(lines);
        while (!out.isEmpty() && out.getLast().isBlank()) {
            out.removeLast();
        }
        return out;
    }

    /** What is compared of a line: the line itself, or its shape (numbers masked) where numbers vary. */
    static String shape(String line) {
        if (line.trim().startsWith("engine:")) {
            return "  engine: (libtorch version, flavour and location vary by machine)";
        }
        if (line.trim().startsWith("estimate:")) {
            // Which of load and compute bounds a tiny model's estimate flips with timing noise.
            return "  estimate: # s (bound by one of weight load, compute)";
        }
        return VARIABLE.matcher(line).find() ? NUMBER.matcher(line.replaceAll("\\s+", " ")).replaceAll("#") : line;
    }

    @Test
    void theReadmeHasTheTranscriptsThisTestChecks() throws IOException {
        List<Transcript> all = transcripts();
        assertEquals(List.of("extract", "preflight", "inspect"), all.stream().map(t -> t.args().getFirst()).toList(),
                "README transcripts found: " + all);
        for (Transcript t : all) {
            assertFalse(t.output().isEmpty(), "no output shown for " + t.args());
        }
    }

    @Test
    void everyReadmeTranscriptMatchesWhatTheCommandPrintsToday() throws IOException {
        Path shared = Path.of(System.getProperty("fpwap.shared.dir", "../../shared"));
        Path model = shared.resolve("models/stories260K").toAbsolutePath().normalize();
        Assumptions.assumeTrue(Files.isDirectory(model), model + " is absent; the README transcripts run on it");
        String out = tmp.resolve("stories-out").toString();
        List<String> stale = new ArrayList<>();
        for (Transcript t : transcripts()) {
            String[] args = t.args().stream()
                    .map(a -> a.replace(README_MODEL, model.toString()).replace(README_OUT, out)
                            .replace("scripts/examples/", ROOT.resolve("scripts/examples") + "/"))
                    .toArray(String[]::new);
            CliRun run = CliRun.of(args);
            assertEquals(0, run.exitCode(), run.toString());
            List<String> actual = run.out().lines()
                    .map(l -> l.replace(model.toString(), README_MODEL).replace(out, README_OUT))
                    .filter(l -> !PROGRESS.matcher(l).find())
                    .toList();
            List<String> expected = t.output().stream().map(ReadmeTranscriptTest::shape).toList();
            List<String> got = trimTrailingBlanks(actual).stream().map(ReadmeTranscriptTest::shape).toList();
            if (!expected.equals(got)) {
                stale.add("README transcript of `scripts/fpwap " + String.join(" ", t.args()) + "` is stale; today it prints:\n"
                        + String.join("\n", trimTrailingBlanks(actual)) + "\nshape expected:\n" + String.join("\n", expected)
                        + "\nshape got:\n" + String.join("\n", got));
            }
        }
        assertTrue(stale.isEmpty(), String.join("\n\n", stale));
    }
}
