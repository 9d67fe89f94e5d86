package org.fpwap.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.fpwap.safetensors.Checkpoint;
import org.fpwap.safetensors.DType;
import org.fpwap.safetensors.TensorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fpwap make-model} writes the config and tensors its options ask for; both are read back here. */
class MakeModelCommandTest {

    @TempDir
    Path tmp;

    @Test
    void theWrittenConfigAndTensorsAreWhatTheOptionsAskFor() throws Exception {
        Path out = tmp.resolve("qwen");
        CliRun run = CliRun.of("make-model", "--family", "qwen2", "--out", out.toString(), "--hidden", "32", "--layers", "3",
                "--heads", "4", "--intermediate", "48", "--vocab", "100", "--dtype", "bf16", "--shards", "2", "--seed", "9");
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().startsWith("wrote a random qwen2 model (H=32, 3 layers,"), run.toString());

        JsonObject config = JsonParser.parseString(Files.readString(out.resolve("config.json"))).getAsJsonObject();
        assertEquals("qwen2", config.get("model_type").getAsString());
        assertEquals(32, config.get("hidden_size").getAsInt());
        assertEquals(3, config.get("num_hidden_layers").getAsInt());
        assertEquals(4, config.get("num_attention_heads").getAsInt());
        assertEquals(2, config.get("num_key_value_heads").getAsInt(), "default: heads / 2");
        assertEquals(48, config.get("intermediate_size").getAsInt());
        assertEquals(100, config.get("vocab_size").getAsInt());
        assertEquals("bfloat16", config.get("torch_dtype").getAsString());

        assertTrue(Files.exists(out.resolve("model.safetensors.index.json")), "two shards need an index");
        try (Checkpoint checkpoint = Checkpoint.open(out)) {
            assertEquals(2, checkpoint.files().size(), "shards");
            Set<String> names = new HashSet<>(checkpoint.tensorNames());
            for (int layer = 0; layer < 3; layer++) {
                for (String t : new String[] {"self_attn.q_proj.weight", "self_attn.q_proj.bias", "self_attn.k_proj.bias",
                        "self_attn.v_proj.bias", "self_attn.o_proj.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight",
                        "mlp.down_proj.weight", "input_layernorm.weight", "post_attention_layernorm.weight"}) {
                    assertTrue(names.contains("model.layers." + layer + "." + t), "missing model.layers." + layer + "." + t);
                }
            }
            assertFalse(names.contains("model.layers.3.self_attn.q_proj.weight"), "only 3 layers");
            assertArrayEquals(new long[] {2 * 8, 32}, checkpoint.info("model.layers.1.self_attn.k_proj.weight").shape(),
                    "k_proj: [kv heads x head_dim, H]");
            assertArrayEquals(new long[] {48, 32}, checkpoint.info("model.layers.0.mlp.up_proj.weight").shape());
            assertArrayEquals(new long[] {100, 32}, checkpoint.info("model.embed_tokens.weight").shape());
            for (String name : names) {
                TensorInfo info = checkpoint.info(name);
                assertEquals(DType.BF16, info.dtype(), name);
                assertValuesAreFiniteAndNotAllEqual(checkpoint.data(name), info);
            }
        }
    }

    @Test
    void theSameSeedWritesTheSameBytesAndAnotherSeedDoesNot() throws Exception {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        Path c = tmp.resolve("c");
        assertEquals(0, CliRun.of("make-model", "--family", "gpt2", "--out", a.toString(), "--seed", "1").exitCode());
        assertEquals(0, CliRun.of("make-model", "--family", "gpt2", "--out", b.toString(), "--seed", "1").exitCode());
        assertEquals(0, CliRun.of("make-model", "--family", "gpt2", "--out", c.toString(), "--seed", "2").exitCode());
        byte[] first = Files.readAllBytes(a.resolve("model.safetensors"));
        assertArrayEquals(first, Files.readAllBytes(b.resolve("model.safetensors")));
        assertFalse(java.util.Arrays.equals(first, Files.readAllBytes(c.resolve("model.safetensors"))));
    }

    @Test
    void anUnknownFamilyIsBadInputNamingTheValue() {
        CliRun run = CliRun.of("make-model", "--family", "bert", "--out", tmp.resolve("x").toString());
        assertEquals(ErrorReporter.BAD_INPUT, run.exitCode(), run.toString());
        assertTrue(run.err().contains("--family bert"), run.toString());
        assertFalse(Files.exists(tmp.resolve("x")), "nothing written");
    }

    /** BF16 values decoded here ({@code bits << 16}): all finite, and not one constant (the writer drew them). */
    private static void assertValuesAreFiniteAndNotAllEqual(MemorySegment data, TensorInfo info) {
        long n = info.elementCount();
        float first = Float.intBitsToFloat((data.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0) & 0xFFFF) << 16);
        boolean varied = n == 1;
        for (long i = 0; i < n; i++) {
            short bits = data.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 2 * i);
            float v = Float.intBitsToFloat((bits & 0xFFFF) << 16);
            assertTrue(Float.isFinite(v), info.name() + "[" + i + "] = " + v);
            varied |= v != first;
        }
        assertTrue(varied || info.name().contains("norm") || info.name().contains("bias"), info.name() + " is constant " + first);
    }
}
