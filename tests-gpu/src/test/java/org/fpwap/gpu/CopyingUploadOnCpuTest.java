package org.fpwap.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import org.fpwap.callback.Layers;
import org.fpwap.callbacks.IncrementalPCA;
import org.fpwap.callbacks.Pool;
import org.fpwap.callbacks.RawActivations;
import org.fpwap.callbacks.SteerInBasis;
import org.fpwap.callbacks.SteeringVector;
import org.fpwap.dataset.Sample;
import org.fpwap.device.DeviceTransfer;
import org.fpwap.device.Devices;
import org.fpwap.forward.Hook;
import org.fpwap.model.ModelFamily;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The upload path a GPU takes (tensors with their own storage, not views of the staging memory) runs on CPU
 * with {@code -Dfpwap.forceDeviceCopy=true}, through the same {@link DeviceTransfer} seam the weights and the
 * residual rows use, so a GPU run is not the first time it runs. It gives bit-identical results.
 */
class CopyingUploadOnCpuTest {

    @TempDir
    Path tmp;

    @AfterEach
    void clearSwitch() {
        System.clearProperty(DeviceTransfer.FORCE_COPY_PROPERTY);
    }

    @Test
    void theSwitchMakesCpuUploadsOwnTheirStorageAsGpuUploadsDo() {
        Devices.prepareComputeThread();
        try (Arena arena = Arena.ofConfined(); NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            MemorySegment host = arena.allocate(4 * Float.BYTES, 64);
            for (int i = 0; i < 4; i++) {
                host.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, i + 1f);
            }
            DeviceTransfer wrap = DeviceTransfer.to(Device.cpu());
            System.setProperty(DeviceTransfer.FORCE_COPY_PROPERTY, "true");
            DeviceTransfer copy = DeviceTransfer.to(Device.cpu());
            assertFalse(wrap.copies());
            assertTrue(copy.copies());
            NDArray view = wrap.upload(manager, host, new Shape(2, 2));
            NDArray owned = copy.upload(manager, host, new Shape(2, 2));
            assertArrayEquals(new float[] {1, 2, 3, 4}, owned.toFloatArray());
            host.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 0, 99f);
            assertEquals(99f, view.toFloatArray()[0], "zero-copy: the tensor is a view of the host memory");
            assertEquals(1f, owned.toFloatArray()[0], "copying: the tensor no longer depends on the host memory");
            assertTrue(DeviceTransfer.of(Device.gpu(0), false).copies(), "a GPU transfer always copies");
        }
    }

    @ParameterizedTest
    @EnumSource(ModelFamily.class)
    void copyingUploadsGiveBitIdenticalStreamingAndNaiveResults(ModelFamily family) {
        Path model = Fixtures.model(tmp.resolve("model"), family);
        List<Sample> data = Fixtures.prompts();
        Fixtures.Run zeroCopy = Fixtures.run(model, data, "cpu", 4, true, tmp.resolve("w1"), Fixtures.Record.everywhere());
        System.setProperty(DeviceTransfer.FORCE_COPY_PROPERTY, "true");
        Fixtures.Run copied = Fixtures.run(model, data, "cpu", 4, true, tmp.resolve("w2"), Fixtures.Record.everywhere());
        assertTrue(copied.verification().identical(), copied.verification().summary());
        assertEquals((long) data.size() * Fixtures.LAYERS * 4, copied.verification().checked());
        assertNull(Fixtures.firstBitDifference(copied, zeroCopy), "copying and zero-copy uploads agree bit for bit");
    }

    @Test
    void aWriteBackRoundTripsThroughTheCopyingPath() {
        Path model = Fixtures.model(tmp.resolve("model"), ModelFamily.LLAMA);
        List<Sample> data = Fixtures.prompts();
        float[] direction = new float[64];
        direction[3] = 1f;
        direction[17] = -0.5f;
        SteerInBasis steer = SteerInBasis.at(Layers.of(1), SteeringVector.of(direction)).alpha(4f).hook(Hook.RESIDUAL_POST);
        RawActivations raw = RawActivations.at(Layers.of(1, 2)).hooks(Hook.RESIDUAL_POST).pool(Pool.ALL);
        IncrementalPCA pca = IncrementalPCA.at(Layers.of(2)).components(3);
        Fixtures.Run zeroCopy = Fixtures.run(model, data, "cpu", 5, true, tmp.resolve("w1"), steer, raw, pca);
        System.setProperty(DeviceTransfer.FORCE_COPY_PROPERTY, "true");
        Fixtures.Run copied = Fixtures.run(model, data, "cpu", 5, true, tmp.resolve("w2"), steer, raw, pca);
        assertTrue(copied.verification().identical(), copied.verification().summary());
        assertNull(Fixtures.firstBitDifference(copied, zeroCopy));
        assertEquals(zeroCopy.artifacts(), copied.artifacts());
    }
}
