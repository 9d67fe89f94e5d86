package org.fpwap.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hand-crafted safetensors bytes, so malformed files do not depend on our own writer. */
final class RawFiles {
    private RawFiles() {}

    /** Writes an 8-byte little-endian length, the header bytes, then {@code dataBytes} zero bytes. */
    static Path write(Path file, byte[] header, long declaredLength, int dataBytes) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(declaredLength).put(header);
        Files.write(file, buffer.array());
        return file;
    }

    static Path write(Path file, String json, int dataBytes) throws IOException {
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        return write(file, header, header.length, dataBytes);
    }

    /** Asserts that reading the header fails naming the file, the tensor if given, and every fragment. */
    static SafetensorsException assertRejected(Path file, String tensor, String... fragments) {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsHeader.read(file));
        assertEquals(file, e.file());
        assertTrue(e.getMessage().contains(file.toString()), () -> "message names the file: " + e.getMessage());
        if (tensor != null) {
            assertEquals(tensor, e.tensor().orElse(null), e::getMessage);
            assertTrue(e.getMessage().contains("\"" + tensor + "\""), () -> "message names the tensor: " + e.getMessage());
        }
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), () -> "message contains '" + fragment + "': " + e.getMessage());
        }
        return e;
    }
}
