package org.fpwap.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.fpwap.io.SmallTmpfs;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.safetensors.SafetensorsHeader;
import org.fpwap.safetensors.TensorInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad models, inputs and environments for {@code fpwap extract}, end to end. Every case must give exit status 1
 * and one message naming the file, field or value; no stack trace; no JVM abort (the tests run in this JVM);
 * no activation file; and every file that existed before the run (models, inputs, a neighbour of the output
 * directory) byte-for-byte unchanged. {@link ExtractErrorsTest} holds the first cases; this class extends them.
 */
class BadInputCatalogTest {

    @TempDir
    static Path tmp;

    private static Path model;
    private static Path goodInput;
    private static int caseNo;

    private Map<Path, String> before;
    private final List<SmallTmpfs> mounts = new ArrayList<>();

    @BeforeAll
    static void makeModel() throws IOException {
        model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(2).maxPositions(16).build(), model);
        goodInput = write("good.jsonl", "{\"input_ids\": [1, 2, 3]}\n{\"input_ids\": [4, 5]}\n");
        Files.writeString(tmp.resolve("neighbour.txt"), "a file beside the output directories");
    }

    @AfterEach
    void unmount() throws Exception {
        for (SmallTmpfs m : mounts) {
            m.close();
        }
    }

    // ------------------------------------------------------------------ models

    @Test
    void aNanWeightIsNamedWithItsTensorAndElement() throws IOException {
        Path dir = modelWith("nan", m -> m.tensorValue("model.layers.1.mlp.down_proj.weight", 5, Float.NaN));
        assertRefused(run(dir, goodInput), "model.layers.1.mlp.down_proj.weight", "NaN", "element 5", "finite");
    }

    @Test
    void anInfiniteWeightIsNamedWithItsTensorAndElement() throws IOException {
        Path dir = modelWith("inf", m -> m.tensorValue("model.layers.0.self_attn.q_proj.weight", 0, Float.NEGATIVE_INFINITY));
        assertRefused(run(dir, goodInput), "model.layers.0.self_attn.q_proj.weight", "-Infinity", "element 0");
    }

    @Test
    void headsThatDoNotDivideTheWidthAreNamed() throws IOException {
        Path dir = modelWith("heads", m -> m.config(c -> c.replaceFirst("\"num_attention_heads\": *\\d+", "\"num_attention_heads\": 5")
                .replaceFirst("\"num_key_value_heads\": *\\d+", "\"num_key_value_heads\": 5")
                .replaceFirst("\"head_dim\": *\\d+,?", "")));
        assertRefused(run(dir, goodInput), "config.json", "hidden_size (64) is not a multiple of num_attention_heads (5)");
    }

    @Test
    void anF8TensorIsRejectedNamingTheDtype() throws IOException {
        Path dir = modelWith("f8", m -> m.header(h -> h.replaceFirst("\"F32\"", "\"F8_E4M3\"")));
        assertRefused(run(dir, goodInput), "model.safetensors", "F8_E4M3");
    }

    @Test
    void anI8TensorIsRejectedNamingTheDtype() throws IOException {
        Path dir = modelWith("i8", m -> m.header(h -> h.replaceFirst("\"F32\"", "\"I8\"")));
        assertRefused(run(dir, goodInput), "model.safetensors", "I8");
    }

    @Test
    void aHugeDeclaredShapeIsRejectedWithoutAllocatingIt() throws IOException {
        Path dir = modelWith("huge", m -> m.header(h -> h.replaceFirst("\"shape\":\\[\\d+,\\d+\\]",
                "\"shape\":[4611686018427387904,4611686018427387904]")));
        assertRefused(run(dir, goodInput), "model.safetensors", "4611686018427387904");
    }

    @Test
    void aTensorNameWithPathCharactersIsNeverUsedAsAPath() throws IOException {
        Path dir = modelWith("pathname", m -> m.header(h -> h.replace("\"model.norm.weight\"", "\"../../model.norm.weight\"")));
        assertRefused(run(dir, goodInput), "model.norm.weight", "missing");
        assertFalse(Files.exists(tmp.resolve("model.norm.weight")), "nothing written where the name points");
    }

    @Test
    void anIndexPointingOutsideItsDirectoryIsRejected() throws IOException {
        Path dir = sharded("escape", index -> index.replaceFirst("\"model-00001-of-00002.safetensors\"",
                "\"../model/model.safetensors\""));
        assertRefused(run(dir, goodInput), "model.safetensors.index.json", "../model/model.safetensors");
    }

    @Test
    void anIndexNamingAMissingShardIsRejected() throws IOException {
        Path dir = sharded("noshard", index -> index.replace("model-00002-of-00002.safetensors", "model-00009-of-00009.safetensors"));
        assertRefused(run(dir, goodInput), "model-00009-of-00009.safetensors");
    }

    @Test
    void aMissingTokenizerFileIsNamed() throws IOException {
        Path text = write("text.jsonl", "{\"text\": \"hello\"}\n");
        Path missing = tmp.resolve("no-such-tokenizer.json");
        assertRefused(run(model, text, "--tokenizer", missing.toString()), missing.toString());
    }

    @Test
    void aTokenizerThatIsNotJsonIsNamed() throws IOException {
        Path text = write("text2.jsonl", "{\"text\": \"hello\"}\n");
        Path broken = write("broken-tokenizer.json", "{ not json");
        assertRefused(run(model, text, "--tokenizer", broken.toString()), broken.toString());
    }

    @Test
    void aConfigThatIsNotJsonIsNamed() throws IOException {
        Path dir = modelWith("badconfig", m -> m.config(c -> c.substring(0, c.length() / 2)));
        assertRefused(run(dir, goodInput), "config.json");
    }

    @Test
    void aConfigWithoutHiddenSizeNamesTheKey() throws IOException {
        Path dir = modelWith("nohidden", m -> m.config(c -> c.replaceFirst("\"hidden_size\"", "\"hidden_sizes\"")));
        assertRefused(run(dir, goodInput), "config.json", "hidden_size");
    }

    @Test
    void aVocabularySizeThatDisagreesWithTheEmbeddingIsNamed() throws IOException {
        Path dir = modelWith("vocab", m -> m.config(c -> c.replaceFirst("\"vocab_size\": *\\d+", "\"vocab_size\": 100")));
        assertRefused(run(dir, goodInput), "model.embed_tokens.weight", "[100, 64]");
    }

    @Test
    void aSafetensorsHeaderThatIsNotJsonIsNamed() throws IOException {
        Path dir = modelWith("headerjson", m -> m.header(h -> "!" + h.substring(1)));
        assertRefused(run(dir, goodInput), "model.safetensors", "JSON");
    }

    // ------------------------------------------------------------------ inputs

    @Test
    void aBlankLineIsNamedByLine() throws IOException {
        Path input = write("blank.jsonl", "{\"input_ids\": [1]}\n\n{\"input_ids\": [2]}\n");
        assertRefused(run(model, input), "blank.jsonl:2", "empty line");
    }

    @Test
    void aBlankCrlfLineIsNamedByLine() throws IOException {
        Path input = write("blank-crlf.jsonl", "{\"input_ids\": [1]}\r\n\r\n");
        assertRefused(run(model, input), "blank-crlf.jsonl:2", "empty line");
    }

    @Test
    void aByteOrderMarkOnAnyLineAndCrlfEndingsAreAcceptedAsConcatenatedFilesHaveThem() throws IOException {
        Path input = write("bom-crlf.jsonl", "\uFEFF{\"input_ids\": [1]}\r\n\uFEFF{\"input_ids\": [2, 3]}\r\n");
        Attempt ok = run(model, input);
        assertEquals(0, ok.cli().exitCode(), ok.cli().toString());
        assertTrue(Files.exists(ok.out().resolve("layer-1/residual_post.arrow")), ok.cli().toString());
    }

    @Test
    void aFractionalLabelIsNamed() throws IOException {
        Path input = write("label15.jsonl", "{\"input_ids\": [1], \"label\": 1.5}\n");
        assertRefused(run(model, input), "label15.jsonl:1", "label", "1.5");
    }

    @Test
    void aTokenIdWrittenAsAFloatIsNamed() throws IOException {
        Path input = write("floatid.jsonl", "{\"input_ids\": [1, 2.5]}\n");
        assertRefused(run(model, input), "floatid.jsonl:1", "2.5");
    }

    @Test
    void aTokenIdWrittenAsAStringIsNamed() throws IOException {
        Path input = write("stringid.jsonl", "{\"input_ids\": [1, \"7\"]}\n");
        assertRefused(run(model, input), "stringid.jsonl:1", "\"7\"");
    }

    @Test
    void aTwoGigabyteLineIsRefusedWithoutReadingItAll() throws IOException {
        Path input = tmp.resolve("huge-line.jsonl");
        try (RandomAccessFile f = new RandomAccessFile(input.toFile(), "rw")) {
            f.write("{\"input_ids\": [1".getBytes(StandardCharsets.US_ASCII));
            f.setLength((2L << 30) + 16); // sparse: no 2 GB written
        }
        assertRefused(run(model, input), "huge-line.jsonl:1", "longer than 16,777,216 bytes");
    }

    @Test
    void anEmptyFileIsRefused() throws IOException {
        Path input = write("empty-file.jsonl", "");
        assertRefused(run(model, input), "empty-file.jsonl");
    }

    @Test
    void anInputThatIsADirectoryIsNamed() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("input-dir"));
        assertRefused(run(model, dir), dir.toString());
    }

    @Test
    void aMissingInputIsNamed() {
        Path missing = tmp.resolve("no-such-input.jsonl");
        assertRefused(run(model, missing), missing.toString());
    }

    @Test
    void anArrowFileWithFloatTokenIdsNamesTheColumnAndItsType() throws IOException {
        Path input = tmp.resolve("float-ids.arrow");
        try (RootAllocator allocator = new RootAllocator(); Float8Vector ids = new Float8Vector("input_ids", allocator)) {
            ids.allocateNew(1);
            ids.set(0, 1.0);
            ids.setValueCount(1);
            try (VectorSchemaRoot root = VectorSchemaRoot.of(ids);
                    var channel = java.nio.channels.FileChannel.open(input, java.nio.file.StandardOpenOption.CREATE_NEW,
                            java.nio.file.StandardOpenOption.WRITE);
                    ArrowFileWriter writer = new ArrowFileWriter(root, null, channel)) {
                writer.start();
                writer.writeBatch();
                writer.end();
            }
        }
        assertRefused(run(model, input), "float-ids.arrow", "\"input_ids\"", "float64");
    }

    @Test
    void binaryGarbageIsNotJsonLines() throws IOException {
        Path input = tmp.resolve("garbage.jsonl");
        Files.write(input, new byte[] {0, 1, 2, 3, (byte) 0xFF, '\n'});
        assertRefused(run(model, input), "garbage.jsonl:1");
    }

    // ------------------------------------------------------------------ options

    @Test
    void aZeroMicrobatchIsNamed() {
        assertRefused(run(model, goodInput, "--microbatch", "0"), "microbatch", "0");
    }

    @Test
    void aDeviceMemoryBudgetTooSmallForOneLayerSaysWhatToRaise() {
        assertRefused(run(model, goodInput, "--device-memory", "1000"), "device memory budget", "--device-memory");
    }

    @Test
    void aSteeringFileThatDoesNotExistIsNamed() {
        Path missing = tmp.resolve("no-such-vector.safetensors");
        assertRefused(run(model, goodInput, "--steer", missing.toString(), "--steer-tensor", "direction",
                "--steer-layers", "0"), missing.toString());
    }

    @Test
    void aNegativeLayerBeyondTheModelIsNamed() {
        assertRefused(run(model, goodInput, "--layers", "-3"), "-3");
    }

    // ------------------------------------------------------------------ environment

    @Test
    void aReadOnlyOutputDirectoryIsNamed() throws Exception {
        Path out = tmp.resolve("ro-out");
        mountReadOnly(out);
        assertRefused(run(model, goodInput, out), out.toString(), "not writable");
    }

    @Test
    void anOutputPathThatIsAFileIsNamed() throws IOException {
        Path out = write("out-is-a-file", "x");
        assertRefused(run(model, goodInput, out), out.toString());
    }

    @Test
    void anOutputDirectoryTooSmallForTheOutputsIsRefusedBeforeAnythingIsWritten() throws Exception {
        Path out = tmp.resolve("small-out");
        mounts.add(SmallTmpfs.mount(out, 256 * 1024));
        Path many = write("many.jsonl", "{\"input_ids\": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]}\n".repeat(64));
        assertRefused(run(model, many, out, "--pool", "all", "--hooks", "residual_pre,residual_post"),
                out.resolve(ExtractJob.WORK_DIR).toString(), "needs about", "are free");
    }

    // ------------------------------------------------------------------ harness

    /** One run and the output directory it was given. */
    private record Attempt(CliRun cli, Path out) {}

    private Attempt run(Path modelDir, Path input, String... extra) {
        return run(modelDir, input, tmp.resolve("out-" + (++caseNo)), extra);
    }

    /** Runs {@code extract} in this JVM, after noting every file that exists. */
    private Attempt run(Path modelDir, Path input, Path out, String... extra) {
        try {
            before = hashes();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        List<String> args = new ArrayList<>(List.of("extract", "--quiet", "--model", modelDir.toString(), "--input",
                input.toString(), "--out", out.toString()));
        args.addAll(List.of(extra));
        return new Attempt(CliRun.of(args.toArray(String[]::new)), out);
    }

    private void assertRefused(Attempt attempt, String... fragments) {
        CliRun run = attempt.cli();
        assertEquals(1, run.exitCode(), run.toString());
        for (String f : fragments) {
            assertTrue(run.err().contains(f), "stderr should mention \"" + f + "\":\n" + run);
        }
        assertFalse(run.err().contains("\tat "), "no stack trace:\n" + run);
        assertEquals(1, run.err().strip().lines().count(), "one message:\n" + run);
        try {
            if (attempt.out() != null && Files.isDirectory(attempt.out())) {
                // Layers committed before the failure stay in the work directory's journal (the run is resumable);
                // no activation file reaches OUT itself.
                Path work = attempt.out().resolve(ExtractJob.WORK_DIR);
                try (Stream<Path> files = Files.walk(attempt.out())) {
                    assertTrue(files.filter(p -> !p.startsWith(work))
                                    .noneMatch(p -> p.toString().endsWith(".arrow") || p.toString().endsWith(".safetensors")),
                            "no activation file in " + attempt.out());
                }
            }
            Map<Path, String> after = hashes();
            List<Path> touched = before.keySet().stream().filter(p -> !before.get(p).equals(after.get(p))).toList();
            assertEquals(List.of(), touched, "files that existed before the run are unchanged");
            assertEquals(before.keySet(), after.keySet(), "no file appeared or vanished");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private void mountReadOnly(Path dir) throws Exception {
        SmallTmpfs m = SmallTmpfs.mountReadOnly(dir, 64 << 20);
        mounts.add(m);
    }

    /** SHA-256 of every regular file under the temp directory except the outputs of runs. */
    private static Map<Path, String> hashes() throws IOException {
        Map<Path, String> map = new TreeMap<>();
        try (Stream<Path> files = Files.walk(tmp)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                String rel = tmp.relativize(p).toString();
                if (rel.startsWith("out-") && !rel.equals("out-is-a-file") || rel.contains(ExtractJob.WORK_DIR)) {
                    continue;
                }
                map.put(p, Files.size(p) > (64 << 20) ? "size " + Files.size(p) + " mtime " + Files.getLastModifiedTime(p)
                        : sha256(Files.readAllBytes(p)));
            }
        }
        return map;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static Path write(String name, String content) throws IOException {
        return Files.writeString(tmp.resolve(name), content, StandardCharsets.UTF_8);
    }

    /** A copy of the test model with one edit. */
    private static Path modelWith(String name, ModelEdit edit) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("model-" + name));
        try (Stream<Path> files = Files.list(model)) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        edit.apply(new ModelFiles(dir));
        return dir;
    }

    /** A two-shard copy of the model with its index edited. */
    private static Path sharded(String name, UnaryOperator<String> indexEdit) throws IOException {
        Path dir = tmp.resolve("sharded-" + name);
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(2).maxPositions(16).shards(2).build(), dir);
        Path index = dir.resolve("model.safetensors.index.json");
        Files.writeString(index, indexEdit.apply(Files.readString(index)));
        return dir;
    }

    @FunctionalInterface
    private interface ModelEdit {
        void apply(ModelFiles m) throws IOException;
    }

    /** Edits of a model directory's files, written from the safetensors format itself. */
    private record ModelFiles(Path dir) {
        void config(UnaryOperator<String> edit) throws IOException {
            Path config = dir.resolve("config.json");
            Files.writeString(config, edit.apply(Files.readString(config)));
        }

        /** Rewrites the JSON header (re-padded to 8 bytes), keeping the data section. */
        void header(UnaryOperator<String> edit) throws IOException {
            Path file = dir.resolve("model.safetensors");
            byte[] bytes = Files.readAllBytes(file);
            long length = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            String json = new String(bytes, 8, (int) length, StandardCharsets.UTF_8).stripTrailing();
            byte[] edited = edit.apply(json).getBytes(StandardCharsets.UTF_8);
            int padded = (edited.length + 7) / 8 * 8;
            ByteBuffer out = ByteBuffer.allocate(8 + padded + bytes.length - 8 - (int) length).order(ByteOrder.LITTLE_ENDIAN);
            out.putLong(padded).put(edited);
            for (int i = edited.length; i < padded; i++) {
                out.put((byte) ' ');
            }
            out.put(bytes, 8 + (int) length, bytes.length - 8 - (int) length);
            Files.write(file, out.array());
        }

        /** Overwrites one F32 element of a tensor. */
        void tensorValue(String tensor, long element, float value) throws IOException {
            Path file = dir.resolve("model.safetensors");
            SafetensorsHeader header = SafetensorsHeader.read(file);
            TensorInfo info = header.require(tensor);
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                f.seek(header.dataStart() + info.begin() + element * Float.BYTES);
                f.writeInt(Integer.reverseBytes(Float.floatToRawIntBits(value)));
            }
        }
    }
}
