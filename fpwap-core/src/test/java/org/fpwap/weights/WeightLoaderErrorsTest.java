package org.fpwap.weights;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.UnaryOperator;
import org.fpwap.device.Devices;
import org.fpwap.forward.CheckpointCopies;
import org.fpwap.forward.CheckpointCopies.Entry;
import org.fpwap.model.ModelFamily;
import org.fpwap.model.ModelSpec;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.safetensors.Checkpoint;
import org.fpwap.safetensors.DType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint that does not match its config fails to load with a {@link WeightFormatException} that
 * names the tensor, where it belongs and what was expected, and leaves nothing attached to the caller's
 * manager. The llama model here has H=64, intermediate 128, 2 KV heads of width 16.
 */
class WeightLoaderErrorsTest {

    @TempDir
    Path tmp;

    @BeforeAll
    static void computeThread() {
        Devices.prepareComputeThread();
    }

    /** A valid llama model passed through {@code edit} (which returns null to drop a tensor). */
    private Path model(UnaryOperator<Entry> edit) {
        Path valid = tmp.resolve("valid");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(2).dims(64, 4, 2, 16).intermediate(128)
                .vocab(96).build(), valid);
        return CheckpointCopies.rewrite(valid, tmp.resolve("edited"), edit);
    }

    private static WeightFormatException loadFails(Path dir, int layer) {
        ModelSpec spec = org.fpwap.model.ModelConfigReader.read(dir);
        try (Checkpoint ckpt = Checkpoint.open(dir); NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            WeightFormatException e = assertThrows(WeightFormatException.class,
                    () -> new WeightLoader(ckpt, spec).loadLayer(layer, manager).close());
            assertTrue(manager.getManagedArrays().isEmpty(), "a failed load leaves no arrays behind: " + manager.getManagedArrays());
            return e;
        }
    }

    private static void assertMentions(Exception e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message should contain " + p + ": " + e.getMessage());
        }
    }

    @Test
    void aMissingLayerTensorIsNamedWithItsLayerAndExpectedShape() {
        String missing = "model.layers.1.mlp.up_proj.weight";
        Path dir = model(e -> e.name().equals(missing) ? null : e);
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertTrue(!ckpt.contains(missing), "the tensor was dropped");
        }
        assertMentions(loadFails(dir, 1), "\"" + missing + "\"", "layer 1", "missing", "[128, 64]");
    }

    @Test
    void aTensorWithTheWrongShapeIsNamedWithActualAndExpectedShapes() {
        String bad = "model.layers.0.self_attn.k_proj.weight"; // [32, 64] per the config
        Path dir = model(e -> e.name().equals(bad) ? new Entry(e.name(), e.dtype(), new long[] {64, 32}, e.data()) : e);
        assertMentions(loadFails(dir, 0), "\"" + bad + "\"", "[64, 32]", "[32, 64]");
    }

    @Test
    void anIntegerTensorWhereAWeightIsExpectedIsNamedWithItsDtype() {
        String bad = "model.layers.0.input_layernorm.weight"; // [64]
        Path dir = model(e -> e.name().equals(bad) ? new Entry(e.name(), DType.I64, e.shape(), Arrays.copyOf(e.data(), 8 * 64)) : e);
        assertMentions(loadFails(dir, 0), "\"" + bad + "\"", "I64");
    }
}
