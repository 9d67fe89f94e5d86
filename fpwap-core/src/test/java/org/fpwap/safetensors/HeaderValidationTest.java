package org.fpwap.safetensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.fpwap.safetensors.RawFiles.assertRejected;
import static org.fpwap.safetensors.RawFiles.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HeaderValidationTest {
    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("model.safetensors");
    }

    private static String tensor(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + ","
                + end + "]}";
    }

    @Test
    void aWellFormedHandWrittenFileIsAccepted() throws IOException {
        write(file(), "{" + tensor("a", "F32", "[2]", 0, 8) + "," + tensor("b", "U8", "[3]", 8, 11) + "}   ", 11);
        SafetensorsHeader header = SafetensorsHeader.read(file());
        assertEquals(2, header.tensors().size());
        assertEquals(11, header.dataLength());
    }

    @Test
    void aFileShorterThanEightBytesIsRejected() throws IOException {
        Files.write(file(), new byte[] {1, 2, 3});
        assertRejected(file(), null, "file too short", "expected at least 8 bytes", "got 3 bytes");
    }

    @Test
    void aHeaderLengthBeyondTheFileIsRejected() throws IOException {
        write(file(), "{}".getBytes(), 1000, 0);
        assertRejected(file(), null, "header length beyond the file", "expected at most 2", "got a header length of 1000");
    }

    @Test
    void aHeaderLargerThanOneHundredMegabytesIsRejected() throws IOException {
        write(file(), "{}".getBytes(), 100_000_001L, 0);
        assertRejected(file(), null, "header too large", "expected at most 100000000", "got 100000001");
    }

    @Test
    void aHeaderLengthWithTheTopBitSetIsReportedAsUnsigned() throws IOException {
        write(file(), "{}".getBytes(), -1L, 0);
        assertRejected(file(), null, "header too large", "got 18446744073709551615");
    }

    @Test
    void aHeaderThatIsNotUtf8IsRejected() throws IOException {
        byte[] header = {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'};
        write(file(), header, header.length, 0);
        assertRejected(file(), null, "not valid UTF-8", "expected UTF-8 JSON");
    }

    @Test
    void aHeaderThatIsNotJsonIsRejected() throws IOException {
        write(file(), "{\"a\": {\"dtype\": ", 0);
        assertRejected(file(), null, "not valid JSON");
    }

    @Test
    void aHeaderWithGarbageAfterTheObjectIsRejected() throws IOException {
        write(file(), "{} {}", 0);
        assertRejected(file(), null, "not valid JSON", "column 5");
    }

    @Test
    void aHeaderThatIsAJsonArrayIsRejected() throws IOException {
        write(file(), "[1, 2]", 0);
        assertRejected(file(), null, "not a JSON object", "expected '{'", "got array [1,2]");
    }

    @Test
    void aTensorEntryThatIsNotAnObjectIsRejected() throws IOException {
        write(file(), "{\"w\": [1, 2]}", 0);
        assertRejected(file(), "w", "tensor entry must be a JSON object", "got array [1,2]");
    }

    @Test
    void aTensorEntryWithoutDtypeIsRejected() throws IOException {
        write(file(), "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
        assertRejected(file(), "w", "missing \"dtype\"");
    }

    @Test
    void aTensorEntryWithoutShapeIsRejected() throws IOException {
        write(file(), "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4);
        assertRejected(file(), "w", "missing \"shape\"");
    }

    @Test
    void aTensorEntryWithoutDataOffsetsIsRejected() throws IOException {
        write(file(), "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4);
        assertRejected(file(), "w", "missing \"data_offsets\"");
    }

    @Test
    void anUnknownDtypeIsRejectedNamingTheValue() throws IOException {
        write(file(), "{" + tensor("w", "F8_E4M3", "[1]", 0, 1) + "}", 1);
        assertRejected(file(), "w", "unsupported dtype", "expected one of F32, F16, BF16, I64, I32, U8, I8", "got \"F8_E4M3\"");
    }

    @Test
    void aDtypeThatIsNotAStringIsRejected() throws IOException {
        write(file(), "{\"w\":{\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
        assertRejected(file(), "w", "dtype must be a string", "got number 7");
    }

    @Test
    void aNegativeShapeDimensionIsRejected() throws IOException {
        write(file(), "{" + tensor("w", "F32", "[2,-1]", 0, 8) + "}", 8);
        assertRejected(file(), "w", "shape", "non-negative integer at index 1", "got number -1");
    }

    @Test
    void aFractionalShapeDimensionIsRejected() throws IOException {
        write(file(), "{" + tensor("w", "F32", "[1.5]", 0, 8) + "}", 8);
        assertRejected(file(), "w", "shape", "non-negative integer at index 0", "got number 1.5");
    }

    @Test
    void aShapeDimensionInExponentNotationIsRejected() throws IOException {
        write(file(), "{" + tensor("w", "F32", "[1e1]", 0, 40) + "}", 40);
        assertRejected(file(), "w", "shape", "got number 1e1");
    }

    @Test
    void aShapeDimensionThatIsAStringIsRejected() throws IOException {
        write(file(), "{" + tensor("w", "F32", "[\"2\"]", 0, 8) + "}", 8);
        assertRejected(file(), "w", "shape", "got string \"2\"");
    }

    @Test
    void aShapeThatIsNotAnArrayIsRejected() throws IOException {
        write(file(), "{" + tensor("w", "F32", "4", 0, 16) + "}", 16);
        assertRejected(file(), "w", "shape must be a list", "expected a JSON array", "got number 4");
    }

    @Test
    void aShapeDimensionBeyondSixtyFourBitsIsRejected() throws IOException {
        write(file(), "{" + tensor("w", "U8", "[99999999999999999999]", 0, 1) + "}", 1);
        assertRejected(file(), "w", "shape", "at most 9223372036854775807", "got 99999999999999999999");
    }

    @Test
    void dataOffsetsWithThreeElementsAreRejected() throws IOException {
        write(file(), "{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1,2]}}", 1);
        assertRejected(file(), "w", "data_offsets must be two non-negative integers", "expected 2 elements", "got 3");
    }

    @Test
    void negativeDataOffsetsAreRejected() throws IOException {
        write(file(), "{" + tensor("w", "U8", "[1]", -1, 0) + "}", 1);
        assertRejected(file(), "w", "data_offsets", "non-negative integer at index 0", "got number -1");
    }

    @Test
    void dataOffsetsWithBeginAfterEndAreRejected() throws IOException {
        write(file(), "{" + tensor("w", "U8", "[1]", 5, 4) + "}", 5);
        assertRejected(file(), "w", "begin <= end", "expected begin <= 4", "got [5, 4]");
    }

    @Test
    void aByteLengthThatDisagreesWithShapeAndDtypeIsRejected() throws IOException {
        write(file(), "{" + tensor("w", "F32", "[2,3]", 0, 20) + "}", 20);
        assertRejected(file(), "w", "byte length does not match", "expected 24 bytes", "F32 [2, 3]", "got 20 bytes");
    }

    @Test
    void aShapeWhoseByteCountOverflowsIsRejected() throws IOException {
        write(file(), "{" + tensor("w", "F32", "[4294967296,4294967296]", 0, 0) + "}", 0);
        assertRejected(file(), "w", "overflows", "got shape [4294967296, 4294967296]");
    }

    @Test
    void offsetsBeyondTheDataSectionAreRejected() throws IOException {
        write(file(), "{" + tensor("w", "F32", "[4]", 0, 16) + "}", 10);
        assertRejected(file(), "w", "beyond the data section", "expected end <= 10", "got 16");
    }

    @Test
    void aGapBeforeTheFirstTensorIsRejected() throws IOException {
        write(file(), "{" + tensor("w", "U8", "[2]", 2, 4) + "}", 4);
        assertRejected(file(), "w", "gap before the first tensor", "begin at 0", "got begin 2");
    }

    @Test
    void aGapBetweenTwoTensorsIsRejectedNamingBoth() throws IOException {
        write(file(), "{" + tensor("a", "U8", "[2]", 0, 2) + "," + tensor("b", "U8", "[2]", 3, 5) + "}", 5);
        assertRejected(file(), "b", "gap between tensors", "\"a\" [0, 2]", "expected \"b\" to begin at 2", "got begin 3");
    }

    @Test
    void overlappingTensorsAreRejectedNamingBoth() throws IOException {
        write(file(), "{" + tensor("a", "U8", "[4]", 0, 4) + "," + tensor("b", "U8", "[4]", 2, 6) + "}", 6);
        assertRejected(file(), "b", "tensors overlap", "\"a\" [0, 4]", "expected \"b\" to begin at 4", "got begin 2");
    }

    @Test
    void trailingBytesAfterTheLastTensorAreRejected() throws IOException {
        write(file(), "{" + tensor("w", "U8", "[4]", 0, 4) + "}", 7);
        assertRejected(file(), "w", "trailing bytes after the last tensor", "expected the data section to be 4 bytes",
                "got 7 bytes");
    }

    @Test
    void dataBytesInAFileWithoutTensorsAreRejected() throws IOException {
        write(file(), "{}", 3);
        assertRejected(file(), null, "trailing bytes", "expected the data section to be 0 bytes", "got 3 bytes");
    }

    @Test
    void aDuplicateTensorNameIsRejected() throws IOException {
        write(file(), "{" + tensor("w", "U8", "[2]", 0, 2) + "," + tensor("w", "U8", "[2]", 2, 4) + "}", 4);
        assertRejected(file(), "w", "duplicate key", "got \"w\" twice");
    }

    @Test
    void aDuplicateKeyInsideATensorEntryIsRejected() throws IOException {
        write(file(), "{\"w\":{\"dtype\":\"U8\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2);
        assertRejected(file(), "w", "duplicate key in tensor entry", "\"dtype\"");
    }

    @Test
    void aNonStringMetadataValueIsRejected() throws IOException {
        write(file(), "{\"__metadata__\":{\"layer\":3}}", 0);
        assertRejected(file(), null, "__metadata__ value for key \"layer\" must be a string", "got number 3");
    }

    @Test
    void metadataThatIsNotAnObjectIsRejected() throws IOException {
        write(file(), "{\"__metadata__\":\"pt\"}", 0);
        assertRejected(file(), null, "__metadata__ must be a JSON object", "got string \"pt\"");
    }

    @Test
    void aZeroSizeTensorIsValid() throws IOException {
        write(file(), "{" + tensor("empty", "F32", "[3,0]", 0, 0) + "," + tensor("w", "U8", "[2]", 0, 2) + "}", 2);
        SafetensorsHeader header = SafetensorsHeader.read(file());
        assertEquals(0, header.require("empty").elementCount());
        assertEquals("empty", header.tensors().getFirst().name(), "zero-size tensor sorts before the one at its offset");
    }

    @Test
    void aZeroSizeTensorWithAHugeOtherDimensionIsValid() throws IOException {
        write(file(), "{" + tensor("empty", "F32", "[4294967296,4294967296,0]", 0, 0) + "}", 0);
        assertEquals(0, SafetensorsHeader.read(file()).require("empty").byteLength());
    }

    @Test
    void unknownFieldsInATensorEntryAreIgnoredAsTheRustCrateDoes() throws IOException {
        write(file(), "{\"w\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2],\"extra\":{\"x\":[1]}}}", 2);
        assertEquals(2, SafetensorsHeader.read(file()).require("w").byteLength());
    }

    @Test
    void aNullMetadataIsTreatedAsEmpty() throws IOException {
        write(file(), "{\"__metadata__\":null}", 0);
        assertTrue(SafetensorsHeader.read(file()).metadata().isEmpty());
    }

    @Test
    void aMissingFileIsReportedByName() {
        Path missing = dir.resolve("absent.safetensors");
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsHeader.read(missing));
        assertEquals(missing, e.file());
        assertTrue(e.getMessage().contains("file not found"), e::getMessage);
    }

    @Test
    void openingAMalformedFileFailsTheSameWayAsReadingItsHeader() throws IOException {
        write(file(), "{" + tensor("w", "F32", "[4]", 0, 16) + "}", 10);
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(file()));
        assertEquals("w", e.tensor().orElseThrow());
        assertTrue(e.getMessage().contains("beyond the data section"), e::getMessage);
    }
}
