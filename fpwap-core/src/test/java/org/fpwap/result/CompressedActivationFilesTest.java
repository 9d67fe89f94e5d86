package org.fpwap.result;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.fpwap.callback.Store;
import org.fpwap.device.Devices;
import org.fpwap.safetensors.DType;
import org.fpwap.safetensors.SafetensorsFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same activations written as f32, bf16 and int8 through the sweep's path (device encoding, mapped emit
 * file, Arrow export): the files have the documented layouts and sizes (int8 a quarter of f32 plus one scale
 * per vector, bf16 a half, within 1%), and read back within each format's error bound.
 */
class CompressedActivationFilesTest {

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path tmp;

    @BeforeAll
    static void gradOff() {
        Devices.prepareComputeThread();
    }

    /** Activations with Llama-like outlier dimensions, every 7th vector all zero. */
    private static float[] data(int vectors, int width, long seed) {
        Random random = new Random(seed);
        float[] x = new float[vectors * width];
        for (int v = 0; v < vectors; v++) {
            if (v % 7 == 3) {
                continue;
            }
            for (int i = 0; i < width; i++) {
                x[v * width + i] = (float) random.nextGaussian() * (i % 97 == 5 ? 300f : 1f);
            }
        }
        return x;
    }

    /** Writes {@code x} ({@code vectors × width}) as one emit file with the sweep's classes and returns its path. */
    private Path write(Store store, float[] x, int[] lengths, int width, boolean perToken) {
        Path target = tmp.resolve(store.wireName() + (perToken ? "-ragged" : "") + ".safetensors");
        int vectors = x.length / width;
        try (NDManager manager = NDManager.newBaseManager(Device.cpu());
                EmitWriter writer = EmitWriter.create(target, lengths, width, perToken, store, Map.of("hook", "test"))) {
            EncodedEmit encoded = EmitEncoder.encode(manager.create(x, new Shape(vectors, width)), store);
            int first = 0;
            for (int row = 0; row < lengths.length; row++) {
                writer.put(row, encoded, first);
                first += writer.vectorCount(row);
            }
            writer.commit();
        }
        return target;
    }

    private static OptionalLong[] noLabels(int n) {
        OptionalLong[] labels = new OptionalLong[n];
        Arrays.fill(labels, OptionalLong.empty());
        return labels;
    }

    private static void assertWithinOnePercent(double expected, long actual, String what) {
        double ratio = actual / expected;
        System.out.printf(java.util.Locale.ROOT, "%s: %d bytes, expected %.0f, ratio %.5f%n", what, actual, expected, ratio);
        assertTrue(Math.abs(ratio - 1) <= 0.01, what + ": " + actual + " bytes vs expected " + (long) expected
                + " (ratio " + ratio + ")");
    }

    @Test
    void int8IsAQuarterAndBf16AHalfOfF32PlusScalesInBothFormats() throws IOException {
        int n = 128;
        int width = 4096;
        int[] lengths = new int[n];
        Arrays.fill(lengths, 1);
        float[] x = data(n, width, 1);
        Map<Store, Path> st = new java.util.EnumMap<>(Store.class);
        Map<Store, Path> arrow = new java.util.EnumMap<>(Store.class);
        for (Store s : Store.values()) {
            st.put(s, write(s, x, lengths, width, false));
            try (ActivationTable table = ActivationTable.open(st.get(s), noLabels(n))) {
                assertEquals(s, table.store());
                arrow.put(s, tmp.resolve(s.wireName() + ".arrow"));
                ArrowActivationWriter.write(table, arrow.get(s));
            }
        }
        for (Map<Store, Path> files : java.util.List.of(st, arrow)) {
            long f32 = Files.size(files.get(Store.F32));
            assertWithinOnePercent(f32 / 4.0 + 4.0 * n, Files.size(files.get(Store.INT8)), "int8 " + files.get(Store.INT8));
            assertWithinOnePercent(f32 / 2.0, Files.size(files.get(Store.BF16)), "bf16 " + files.get(Store.BF16));
        }
        try (SafetensorsFile f = SafetensorsFile.open(st.get(Store.INT8))) {
            assertEquals(DType.I8, f.require("activations").dtype());
            assertArrayEquals(new long[] {n, width}, f.require("activations").shape());
            assertEquals(DType.F32, f.require("scales").dtype());
            assertArrayEquals(new long[] {n}, f.require("scales").shape());
        }
        try (SafetensorsFile f = SafetensorsFile.open(st.get(Store.BF16))) {
            assertEquals(DType.BF16, f.require("activations").dtype());
            assertTrue(f.find("scales").isEmpty());
        }
    }

    @Test
    void raggedFilesReadBackWithinEachFormatsBoundAndArrowAgreesBitForBit() throws IOException {
        Random random = new Random(2);
        int n = 40;
        int width = 96;
        int[] lengths = random.ints(n, 0, 12).toArray(); // includes empty samples
        int vectors = Arrays.stream(lengths).sum();
        float[] x = data(vectors, width, 3);
        for (Store s : Store.values()) {
            Path file = write(s, x, lengths, width, true);
            Path arrowFile = tmp.resolve(s.wireName() + "-ragged.arrow");
            try (ActivationTable table = ActivationTable.open(file, noLabels(n))) {
                assertTrue(table.ragged());
                ArrowActivationWriter.write(table, arrowFile);
                int v = 0;
                for (int row = 0; row < n; row++) {
                    float[][] got = table.vectors(row);
                    assertEquals(lengths[row], got.length);
                    for (int t = 0; t < got.length; t++, v++) {
                        assertWithinBound(s, table, row, t, Arrays.copyOfRange(x, v * width, (v + 1) * width), got[t]);
                    }
                    float[][] viaRowData = new float[got.length][width];
                    MemorySegment bytes = table.rowData(row);
                    for (int t = 0; t < got.length; t++) {
                        MemorySegment.copy(bytes, FLOAT, (long) t * width * 4, viaRowData[t], 0, width);
                    }
                    assertArrayEquals(got, viaRowData, "rowData is the FP32 form of vectors(row)");
                }
            }
            try (ArrowActivationReader reader = ArrowActivationReader.open(arrowFile);
                    ActivationTable table = ActivationTable.open(file, noLabels(n))) {
                assertEquals(s, reader.store());
                for (int row = 0; row < n; row++) {
                    assertEquals(ActivationRow.of(row, OptionalLong.empty(), table.vectors(row)), reader.row(row),
                            s + " row " + row);
                }
                assertArrowTypes(s, reader);
            }
        }
    }

    private static void assertWithinBound(Store s, ActivationTable table, int row, int token, float[] expected, float[] got) {
        switch (s) {
            case F32 -> assertArrayEquals(expected, got, 0f);
            case BF16 -> {
                for (int i = 0; i < expected.length; i++) {
                    // bfloat16 keeps 8 significant bits: round-to-nearest is within 2^-8 relative.
                    assertTrue(Math.abs(got[i] - expected[i]) <= Math.abs(expected[i]) * 0x1p-8,
                            "bf16 row " + row + " token " + token + " value " + i + ": " + got[i] + " vs " + expected[i]);
                }
            }
            case INT8 -> {
                float max = 0;
                for (float e : expected) {
                    max = Math.max(max, Math.abs(e));
                }
                float scale = table.rowScales(row).getAtIndex(FLOAT, token);
                assertEquals(max / 127f, scale, "scale = max|x| / 127");
                MemorySegment raw = table.storedRowData(row);
                for (int i = 0; i < expected.length; i++) {
                    byte q = raw.get(ValueLayout.JAVA_BYTE, (long) token * expected.length + i);
                    assertEquals(q * scale, got[i], "vectors() dequantizes the raw int8 row as q × scale");
                    assertTrue(Math.abs((double) got[i] - expected[i]) <= scale / 2.0 * (1 + 1e-5),
                            "int8 row " + row + " token " + token + " value " + i + ": " + got[i] + " vs " + expected[i]);
                }
            }
        }
    }

    private static void assertArrowTypes(Store s, ArrowActivationReader reader) {
        Field activation = reader.schema().findField(ActivationLayout.ACTIVATION);
        ArrowType item = activation.getChildren().getFirst().getChildren().getFirst().getType();
        switch (s) {
            case F32 -> assertEquals(null, reader.schema().getCustomMetadata().get("store"));
            case BF16 -> {
                assertEquals(new ArrowType.Int(16, false), item);
                assertEquals("bfloat16", activation.getMetadata().get("dtype"));
                assertEquals("bf16", reader.schema().getCustomMetadata().get("store"));
            }
            case INT8 -> {
                assertEquals(new ArrowType.Int(8, true), item);
                assertEquals("int8", activation.getMetadata().get("dtype"));
                Field scale = reader.schema().findField("scale");
                assertEquals(ArrowType.List.INSTANCE, scale.getType());
                assertEquals(new ArrowType.FloatingPoint(org.apache.arrow.vector.types.FloatingPointPrecision.SINGLE),
                        scale.getChildren().getFirst().getType());
            }
        }
    }
}
