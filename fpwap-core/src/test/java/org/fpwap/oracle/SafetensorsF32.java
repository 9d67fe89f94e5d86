package org.fpwap.oracle;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * A deliberately tiny, test-only safetensors reader and writer for F32 tensors, used by the Jlama
 * oracle tests to feed the independent FP64 reference forward and to write seeded random models.
 *
 * <p>Format: an 8-byte little-endian header length {@code n}, then {@code n} bytes of JSON mapping
 * each tensor name to {@code {"dtype", "shape", "data_offsets": [begin, end]}} (offsets relative to
 * the end of the header), then the raw little-endian data. Only {@code F32} is supported; anything
 * else throws. Sharded checkpoints ({@code model.safetensors.index.json}) are followed.
 */
final class SafetensorsF32 {

    /** One F32 tensor: its shape and its row-major data. */
    record Tensor(long[] shape, float[] data) {
        int dim(int i) {
            return Math.toIntExact(shape[i]);
        }
    }

    private SafetensorsF32() {}

    /** Reads every tensor of an HF model directory (single file or sharded via the index JSON). */
    static Map<String, Tensor> readModelDir(Path dir) throws IOException {
        Path index = dir.resolve("model.safetensors.index.json");
        if (!Files.exists(index)) {
            return readFile(dir.resolve("model.safetensors"));
        }
        JsonObject weightMap = new Gson()
            .fromJson(Files.readString(index), JsonObject.class)
            .getAsJsonObject("weight_map");
        Set<String> files = new LinkedHashSet<>();
        for (Map.Entry<String, JsonElement> e : weightMap.entrySet()) {
            files.add(e.getValue().getAsString());
        }
        Map<String, Tensor> all = new LinkedHashMap<>();
        for (String f : files) {
            all.putAll(readFile(dir.resolve(f)));
        }
        return all;
    }

    /** Reads every tensor of one safetensors file. */
    static Map<String, Tensor> readFile(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen <= 0 || headerLen > (1L << 30)) {
                throw new IOException("bad safetensors header length " + headerLen + " in " + file);
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
            readFully(ch, headerBuf, 8);
            JsonObject header = new Gson()
                .fromJson(new String(headerBuf.array(), StandardCharsets.UTF_8), JsonObject.class);
            long dataStart = 8 + headerLen;
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> e : header.entrySet()) {
                if (e.getKey().equals("__metadata__")) {
                    continue;
                }
                JsonObject info = e.getValue().getAsJsonObject();
                String dtype = info.get("dtype").getAsString();
                if (!dtype.equals("F32")) {
                    throw new IOException("only F32 is supported, " + e.getKey() + " is " + dtype);
                }
                JsonArray shapeJson = info.getAsJsonArray("shape");
                long[] shape = new long[shapeJson.size()];
                long count = 1;
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = shapeJson.get(i).getAsLong();
                    count *= shape[i];
                }
                JsonArray offs = info.getAsJsonArray("data_offsets");
                long begin = offs.get(0).getAsLong();
                long end = offs.get(1).getAsLong();
                if (end - begin != count * 4) {
                    throw new IOException("size mismatch for " + e.getKey());
                }
                ByteBuffer data = ByteBuffer.allocate(Math.toIntExact(end - begin));
                readFully(ch, data, dataStart + begin);
                float[] f = new float[Math.toIntExact(count)];
                data.flip().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
                out.put(e.getKey(), new Tensor(shape, f));
            }
            return out;
        }
    }

    /** Writes F32 tensors (in map order) as one safetensors file. */
    static void write(Path file, Map<String, Tensor> tensors) throws IOException {
        JsonObject header = new JsonObject();
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            JsonObject info = new JsonObject();
            info.addProperty("dtype", "F32");
            JsonArray shape = new JsonArray();
            for (long s : e.getValue().shape()) {
                shape.add(s);
            }
            info.add("shape", shape);
            JsonArray offs = new JsonArray();
            offs.add(offset);
            offset += 4L * e.getValue().data().length;
            offs.add(offset);
            info.add("data_offsets", offs);
            header.add(e.getKey(), info);
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int pad = (8 - json.length % 8) % 8;
        byte[] padded = new byte[json.length + pad];
        System.arraycopy(json, 0, padded, 0, json.length);
        for (int i = json.length; i < padded.length; i++) {
            padded[i] = ' ';
        }
        try (OutputStream os = Files.newOutputStream(file)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded.length);
            os.write(len.array());
            os.write(padded);
            for (Tensor t : tensors.values()) {
                ByteBuffer b = ByteBuffer.allocate(4 * t.data().length).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(t.data());
                os.write(b.array());
            }
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer dst, long pos) throws IOException {
        while (dst.hasRemaining()) {
            int n = ch.read(dst, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
            pos += n;
        }
    }
}
