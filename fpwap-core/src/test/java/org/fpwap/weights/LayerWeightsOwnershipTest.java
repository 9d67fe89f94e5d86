package org.fpwap.weights;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import org.fpwap.device.Devices;
import org.fpwap.model.LayerTensor;
import org.fpwap.model.ModelConfigReader;
import org.fpwap.model.ModelFamily;
import org.fpwap.model.ModelSpec;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.safetensors.Checkpoint;
import org.fpwap.safetensors.DType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link LayerWeights} and {@link NormWeights} own what they load: closing them releases every tensor, so
 * a loop that loads and closes layers leaves the caller's manager empty, and a second close is harmless.
 * Checked for F32 (zero-copy wrap of the mapping) and BF16 (widened into owned off-heap memory).
 */
class LayerWeightsOwnershipTest {

    private static final int ROUNDS = 50;

    @TempDir
    Path tmp;

    @BeforeAll
    static void computeThread() {
        Devices.prepareComputeThread();
    }

    private Path model(DType dtype) {
        Path dir = tmp.resolve(dtype.name());
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.GEMMA).layers(2).vocab(64).dtype(dtype).build(), dir);
        return dir;
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16"})
    void loadingAndClosingALayerManyTimesLeavesNoArraysOnTheBaseManager(DType dtype) {
        Path dir = model(dtype);
        ModelSpec spec = ModelConfigReader.read(dir);
        try (Checkpoint ckpt = Checkpoint.open(dir); NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            WeightLoader loader = new WeightLoader(ckpt, spec);
            for (int i = 0; i < ROUNDS; i++) {
                LayerWeights w = loader.loadLayer(i % spec.numLayers(), manager);
                NDArray q = w.get(LayerTensor.Q_WEIGHT);
                assertTrue(!manager.getManagedArrays().isEmpty(), "while open the layer's arrays are reachable from the manager");
                w.close();
                assertTrue(q.isReleased(), "closing the layer releases its tensors");
                assertEquals(0, manager.getManagedArrays().size(), "round " + i + ": arrays left on the base manager");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16"})
    void closingLayerWeightsTwiceIsHarmless(DType dtype) {
        Path dir = model(dtype);
        ModelSpec spec = ModelConfigReader.read(dir);
        try (Checkpoint ckpt = Checkpoint.open(dir); NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            LayerWeights w = new WeightLoader(ckpt, spec).loadLayer(0, manager);
            w.close();
            assertDoesNotThrow(w::close);
            assertEquals(0, manager.getManagedArrays().size());
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16"})
    void finalNormWeightsAreReleasedOnCloseAndTolerateASecondClose(DType dtype) {
        Path dir = model(dtype);
        ModelSpec spec = ModelConfigReader.read(dir);
        try (Checkpoint ckpt = Checkpoint.open(dir); NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            WeightLoader loader = new WeightLoader(ckpt, spec);
            for (int i = 0; i < ROUNDS; i++) {
                NormWeights n = loader.loadFinalNorm(manager);
                n.close();
                assertTrue(n.weight().isReleased(), "closing releases the norm weight");
                assertDoesNotThrow(n::close);
            }
            assertEquals(0, manager.getManagedArrays().size());
        }
    }
}
