package org.fpwap.dataset;

import static org.fpwap.dataset.ArrowTestFiles.Format.FILE;
import static org.fpwap.dataset.ArrowTestFiles.Format.STREAM;
import static org.fpwap.dataset.ArrowTestFiles.IdsType.LIST_INT32;
import static org.fpwap.dataset.ArrowTestFiles.IdsType.LIST_INT64;
import static org.fpwap.dataset.ArrowTestFiles.rows;
import static org.fpwap.dataset.Samples.MIXED;
import static org.fpwap.dataset.Samples.assertMentions;
import static org.fpwap.dataset.Samples.assertSameSamples;
import static org.fpwap.dataset.Samples.scanError;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.fpwap.dataset.ArrowTestFiles.Format;
import org.fpwap.dataset.ArrowTestFiles.IdsType;
import org.fpwap.dataset.ArrowTestFiles.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ArrowStreamTest {
    @org.junit.jupiter.api.io.TempDir
    Path dir;

    @ParameterizedTest(name = "{0} file format")
    @EnumSource(IdsType.class)
    void anArrowFileStreamsTheSameSamplesAsTheInMemoryDataset(IdsType ids) throws IOException {
        Path file = ArrowTestFiles.write(dir.resolve("data.arrow"), FILE, ids, 64, 2, rows(MIXED));
        assertSameSamples(Samples.readAll(Dataset.of(MIXED)), Dataset.arrow(file));
    }

    @ParameterizedTest(name = "{0} stream format")
    @EnumSource(IdsType.class)
    void anArrowStreamStreamsTheSameSamplesAsTheInMemoryDataset(IdsType ids) throws IOException {
        Path file = ArrowTestFiles.write(dir.resolve("data.arrows"), STREAM, ids, 32, 3, rows(MIXED));
        assertSameSamples(Samples.readAll(Dataset.of(MIXED)), Dataset.arrow(file));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Format.class)
    void aFileWithoutALabelColumnYieldsUnlabelledSamples(Format format) throws IOException {
        Path file = ArrowTestFiles.write(dir.resolve("nolabel.arrow"), format, LIST_INT32, 0, 4, rows(MIXED));
        assertSameSamples(Samples.withoutLabels(MIXED), Dataset.arrow(file));
    }

    @Test
    void nullLabelsBecomeAbsentLabels() throws IOException {
        // MIXED has rows 1 and 4 without a label: written as nulls in an int64 column
        Path file = ArrowTestFiles.write(dir.resolve("nulls.arrow"), FILE, LIST_INT64, 64, 10, rows(MIXED));
        assertSameSamples(MIXED, Dataset.arrow(file));
    }

    @Test
    void fromFilePicksArrowByMagicAndJsonlOtherwise() throws IOException {
        Path arrowFile = ArrowTestFiles.write(dir.resolve("data.bin"), FILE, LIST_INT32, 64, 2, rows(MIXED));
        Path arrowStream = ArrowTestFiles.write(dir.resolve("stream.bin"), STREAM, LIST_INT32, 64, 2, rows(MIXED));
        Path jsonl = Samples.writeJsonl(dir.resolve("prompts.txt"), MIXED);
        assertSameSamples(MIXED, Dataset.fromFile(arrowFile));
        assertSameSamples(MIXED, Dataset.fromFile(arrowStream));
        assertSameSamples(MIXED, Dataset.fromFile(jsonl));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Format.class)
    void aNullInputIdsListIsAnErrorNamingTheRow(Format format) throws IOException {
        List<Row> rows = new ArrayList<>(rows(MIXED));
        rows.set(3, new Row(null, 1L));
        Path file = ArrowTestFiles.write(dir.resolve("data.arrow"), format, LIST_INT32, 64, 2, rows);
        assertMentions(scanError(Dataset.arrow(file), 128, 16), "data.arrow row 3:", "input_ids is null");
    }

    @Test
    void aNullTokenIsAnErrorNamingTheRowAndIndex() throws IOException {
        List<Row> rows = new ArrayList<>(rows(MIXED));
        rows.set(2, new Row(new Long[] {5L, null, 7L}, null));
        Path file = ArrowTestFiles.write(dir.resolve("data.arrow"), FILE, LIST_INT64, 0, 2, rows);
        assertMentions(scanError(Dataset.arrow(file), 128, 16), "data.arrow row 2:", "input_ids[1] is null");
    }

    @Test
    void anInt64TokenBeyondThirtyTwoBitsIsAnErrorWithItsValue() throws IOException {
        List<Row> rows = new ArrayList<>(rows(MIXED));
        rows.set(1, new Row(new Long[] {1L, 1L << 33}, null));
        Path file = ArrowTestFiles.write(dir.resolve("data.arrow"), FILE, LIST_INT64, 0, 2, rows);
        assertMentions(scanError(Dataset.arrow(file), 128, 16), "data.arrow row 1:", "input_ids[1] = 8589934592",
                "32-bit");
    }

    @Test
    void aListOfStringsIsRejectedNamingTheColumnAndItsType() throws IOException {
        Field item = new Field("item", FieldType.nullable(ArrowType.Utf8.INSTANCE), null);
        Schema schema = new Schema(List.of(new Field("input_ids", FieldType.nullable(ArrowType.List.INSTANCE), List.of(item))));
        Path file = ArrowTestFiles.write(dir.resolve("strings.arrow"), FILE, schema, 2, List.of());
        assertMentions(scanError(Dataset.arrow(file), 128, 16), "strings.arrow", "column \"input_ids\" has type list<utf8>",
                "expected list<int32>, list<int64>");
    }

    @Test
    void aListOfUnsignedIntsIsRejectedNamingItsType() throws IOException {
        Field item = new Field("item", FieldType.nullable(new ArrowType.Int(32, false)), null);
        Schema schema = new Schema(List.of(new Field("input_ids", FieldType.nullable(ArrowType.LargeList.INSTANCE),
                List.of(item))));
        Path file = ArrowTestFiles.write(dir.resolve("uint.arrow"), STREAM, schema, 2, List.of());
        assertMentions(scanError(Dataset.arrow(file), 128, 16), "column \"input_ids\" has type large_list<uint32>");
    }

    @Test
    void aFloatLabelColumnIsRejectedNamingItsType() throws IOException {
        Field item = new Field("item", FieldType.nullable(new ArrowType.Int(32, true)), null);
        Schema schema = new Schema(List.of(
                new Field("input_ids", FieldType.nullable(ArrowType.List.INSTANCE), List.of(item)),
                new Field("label", FieldType.nullable(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)), null)));
        Path file = ArrowTestFiles.write(dir.resolve("flabel.arrow"), FILE, schema, 2, List.of());
        assertMentions(scanError(Dataset.arrow(file), 128, 16), "column \"label\" has type float64", "int32 or int64");
    }

    @Test
    void aMissingInputIdsColumnIsNamedWithTheColumnsThatExist() throws IOException {
        Schema schema = new Schema(List.of(new Field("tokens", FieldType.nullable(new ArrowType.Int(64, true)), null)));
        Path file = ArrowTestFiles.write(dir.resolve("noids.arrow"), FILE, schema, 2, List.of());
        assertMentions(scanError(Dataset.arrow(file), 128, 16), "noids.arrow", "no column \"input_ids\"", "tokens int64");
    }

    @Test
    void aJsonlFileOpenedAsArrowIsRejectedWithoutReadingGarbageLengths() throws IOException {
        Path file = Samples.writeJsonl(dir.resolve("prompts.jsonl"), MIXED);
        assertMentions(scanError(Dataset.arrow(file), 128, 16), "prompts.jsonl", "not an Arrow IPC file or stream");
    }

    @Test
    void aTruncatedArrowFileIsRejectedNamingTheFile() throws IOException {
        Path file = ArrowTestFiles.write(dir.resolve("cut.arrow"), FILE, LIST_INT32, 64, 2, rows(MIXED));
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length - 20));
        assertMentions(scanError(Dataset.arrow(file), 128, 16), "cut.arrow", "Arrow");
    }

    @Test
    void aTruncatedArrowStreamIsRejectedNamingTheFile() throws IOException {
        Path file = ArrowTestFiles.write(dir.resolve("cut.arrows"), STREAM, LIST_INT32, 64, 2, rows(MIXED));
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length / 2));
        assertMentions(scanError(Dataset.arrow(file), 128, 16), "cut.arrows");
    }

    @Test
    void aMissingArrowFileIsNamed() {
        Path file = dir.resolve("absent.arrow");
        DatasetException e = assertThrows(DatasetException.class, () -> Dataset.arrow(file).open());
        assertMentions(e.getMessage(), "absent.arrow", "not found");
    }
}
