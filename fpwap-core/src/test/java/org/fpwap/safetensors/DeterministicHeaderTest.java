package org.fpwap.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A header's bytes depend only on its contents: metadata keys are written sorted, whatever order they came in. */
class DeterministicHeaderTest {

    @TempDir
    Path dir;

    @Test
    void metadataGivenInAnyOrderGivesTheSameBytesFromBothWriters() throws IOException {
        Path a = SafetensorsWriter.create(dir.resolve("a.safetensors")).metadata("layer", "1").metadata("callback", "c")
                .metadata("hook", "mlp_out").addF32("x", new long[] {1}, new float[] {2f}).write();
        Path b = SafetensorsWriter.create(dir.resolve("b.safetensors")).metadata("hook", "mlp_out").metadata("layer", "1")
                .metadata("callback", "c").addF32("x", new long[] {1}, new float[] {2f}).write();
        Path c = dir.resolve("c.safetensors");
        try (MappedSafetensorsWriter writer = MappedSafetensorsWriter.create(c).metadata("callback", "c")
                .metadata("layer", "1").metadata("hook", "mlp_out").declare("x", DType.F32, new long[] {1}).open()) {
            writer.segment("x").set(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED
                    .withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0, 2f);
            writer.commit();
        }
        byte[] expected = Files.readAllBytes(a);
        assertArrayEquals(expected, Files.readAllBytes(b));
        assertArrayEquals(expected, Files.readAllBytes(c));
        // Written out by hand from the format: sorted metadata, then the tensors in declaration order.
        String json = "{\"__metadata__\":{\"callback\":\"c\",\"hook\":\"mlp_out\",\"layer\":\"1\"},"
                + "\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        String header = new String(Arrays.copyOfRange(expected, 8, expected.length - 4), StandardCharsets.UTF_8);
        assertEquals(json, header.stripTrailing());
    }
}
