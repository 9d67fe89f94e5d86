package org.fpwap.safetensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsRoundTripTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(DType.class)
    void everyDtypeRoundTripsItsBytesAndShape(DType dtype) {
        long[] shape = {3, 5};
        byte[] data = new byte[15 * dtype.byteSize()];
        new Random(dtype.ordinal()).nextBytes(data);
        Path file = SafetensorsWriter.create(dir.resolve("t.safetensors")).add("x", dtype, shape, data).write();
        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            TensorInfo info = read.require("x");
            assertEquals(dtype, info.dtype());
            assertArrayEquals(shape, info.shape());
            assertArrayEquals(data, read.data("x").toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void typedAddersStoreLittleEndianValues() {
        Path file = SafetensorsWriter.create(dir.resolve("t.safetensors"))
                .addF32("f", new long[] {2}, new float[] {1.5f, -2f})
                .addI64("l", new long[] {2}, new long[] {1L << 40, -7})
                .addI32("i", new long[] {1}, new int[] {0x01020304})
                .addBf16("b", new long[] {1}, new float[] {3.0f})
                .addF16("h", new long[] {1}, new float[] {0.5f})
                .write();
        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            ByteBuffer f = read.data("f").asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(1.5f, f.getFloat(0));
            assertEquals(-2f, f.getFloat(4));
            ByteBuffer l = read.data("l").asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(1L << 40, l.getLong(0));
            assertEquals(-7, l.getLong(8));
            assertArrayEquals(new byte[] {4, 3, 2, 1}, read.data("i").toArray(ValueLayout.JAVA_BYTE));
            assertEquals((short) 0x4040, read.data("b").asByteBuffer().order(ByteOrder.LITTLE_ENDIAN).getShort(0));
            assertEquals(Float.floatToFloat16(0.5f), read.data("h").asByteBuffer().order(ByteOrder.LITTLE_ENDIAN).getShort(0));
        }
    }

    @Test
    void metadataRoundTripsWithKeysInSortedOrder() {
        Path file = SafetensorsWriter.create(dir.resolve("t.safetensors"))
                .metadata("layer", "3").metadata("hook", "resid_post").metadata("quote\"d", "ünïcode \n")
                .addF32("x", new long[] {1}, new float[] {1f})
                .write();
        assertEquals(List.of("hook", "layer", "quote\"d"),
                List.copyOf(SafetensorsHeader.read(file).metadata().keySet()));
        assertEquals(Map.of("layer", "3", "hook", "resid_post", "quote\"d", "ünïcode \n"),
                SafetensorsHeader.read(file).metadata());
    }

    @Test
    void theHeaderIsPaddedWithSpacesToAMultipleOfEightBytes() throws IOException {
        Path file = SafetensorsWriter.create(dir.resolve("t.safetensors")).addF32("xyz", new long[] {1}, new float[] {1f}).write();
        SafetensorsHeader header = SafetensorsHeader.read(file);
        assertEquals(0, header.headerLength() % 8);
        byte[] bytes = Files.readAllBytes(file);
        String json = new String(bytes, 8, (int) header.headerLength(), StandardCharsets.UTF_8);
        assertTrue(json.startsWith("{") && json.stripTrailing().endsWith("}"), json);
        assertTrue(json.substring(json.lastIndexOf('}') + 1).chars().allMatch(c -> c == ' '), json);
    }

    @Test
    void tensorsAreLaidOutInInsertionOrder() {
        Path file = SafetensorsWriter.create(dir.resolve("t.safetensors"))
                .addF32("z", new long[] {2}, new float[2])
                .addF32("a", new long[] {1}, new float[1])
                .write();
        List<TensorInfo> tensors = SafetensorsHeader.read(file).tensors();
        assertEquals(new TensorInfo("z", DType.F32, new long[] {2}, 0, 8), tensors.get(0));
        assertEquals(new TensorInfo("a", DType.F32, new long[] {1}, 8, 12), tensors.get(1));
    }

    @Test
    void zeroSizeAndScalarTensorsRoundTrip() {
        Path file = SafetensorsWriter.create(dir.resolve("t.safetensors"))
                .addF32("empty", new long[] {0, 4}, new float[0])
                .addF32("scalar", new long[] {}, new float[] {42f})
                .write();
        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            assertEquals(0, read.data("empty").byteSize());
            assertEquals(42f, read.data("scalar").get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0));
            assertEquals(1, read.require("scalar").elementCount());
        }
    }

    @Test
    void writingReplacesAnExistingFileAndLeavesNoTemporaryFile() throws IOException {
        Path target = dir.resolve("t.safetensors");
        Files.writeString(target, "old contents");
        SafetensorsWriter.create(target).addF32("x", new long[] {1}, new float[] {1f}).write();
        assertEquals(1, SafetensorsHeader.read(target).tensors().size());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(target), files.toList());
        }
    }

    @Test
    void addingDataOfTheWrongLengthIsRejected() {
        SafetensorsWriter writer = SafetensorsWriter.create(dir.resolve("t.safetensors"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> writer.add("x", DType.F32, new long[] {2}, new byte[7]));
        assertTrue(e.getMessage().contains("expected 8 bytes") && e.getMessage().contains("got 7"), e.getMessage());
    }

    @Test
    void addingTheSameNameTwiceIsRejected() {
        SafetensorsWriter writer = SafetensorsWriter.create(dir.resolve("t.safetensors")).addF32("x", new long[] {1}, new float[1]);
        assertThrows(IllegalArgumentException.class, () -> writer.addF32("x", new long[] {1}, new float[1]));
    }

    @Test
    void theMetadataKeyCannotBeATensorName() {
        SafetensorsWriter writer = SafetensorsWriter.create(dir.resolve("t.safetensors"));
        assertThrows(IllegalArgumentException.class, () -> writer.addF32("__metadata__", new long[] {1}, new float[1]));
    }

    @Test
    void tensorInfoCopiesItsShapeDefensively() {
        long[] shape = {2, 3};
        TensorInfo info = new TensorInfo("x", DType.F32, shape, 0, 24);
        shape[0] = 99;
        info.shape()[1] = 99;
        assertArrayEquals(new long[] {2, 3}, info.shape());
        assertEquals(new TensorInfo("x", DType.F32, new long[] {2, 3}, 0, 24).hashCode(), info.hashCode());
        assertEquals("TensorInfo[name=x, dtype=F32, shape=[2, 3], data_offsets=[0, 24]]", info.toString());
    }

    @Test
    void theRealBf16StoriesModelIsTheF32ModelRoundedToNearestEven() {
        Path models = Path.of(System.getProperty("fpwap.shared.dir", "../shared"), "models");
        Path f32 = models.resolve("stories260K/model.safetensors");
        Path bf16 = models.resolve("stories260K-bf16/model.safetensors");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(f32) && Files.isRegularFile(bf16),
                "shared stories260K models not present");
        try (SafetensorsFile wide = SafetensorsFile.open(f32); SafetensorsFile narrow = SafetensorsFile.open(bf16)) {
            assertEquals(47, wide.tensors().size());
            for (TensorInfo info : wide.tensors()) {
                TensorInfo other = narrow.require(info.name());
                assertEquals(DType.F32, info.dtype());
                assertEquals(DType.BF16, other.dtype());
                assertArrayEquals(info.shape(), other.shape());
                MemorySegment expected = MemorySegment.ofArray(new short[(int) info.elementCount()]);
                Widening.f32ToBf16(wide.data(info.name()), 0, expected, 0, info.elementCount());
                assertEquals(-1, MemorySegment.mismatch(expected, 0, expected.byteSize(), narrow.data(other.name()), 0,
                        other.byteLength()), info.name());
            }
        }
    }
}
