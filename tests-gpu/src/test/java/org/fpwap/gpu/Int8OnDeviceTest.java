package org.fpwap.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.fpwap.callback.Store;
import org.fpwap.device.Devices;
import org.fpwap.result.EmitEncoder;
import org.fpwap.result.EncodedEmit;
import org.junit.jupiter.api.Test;

/**
 * Int8 quantization runs on the device (a max-reduce and a scaled round) and gives exactly the CPU's bytes and
 * scales: every step (|x|, max, one IEEE division, round-half-even) is exact or correctly rounded on both.
 */
@RequiresDevice
class Int8OnDeviceTest {

    @Test
    void quantizingOnTheDeviceGivesTheCpusBytesAndScales() {
        Devices.prepareComputeThread();
        Random random = new Random(14);
        float[] x = new float[64 * 4096];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian() * (i % 97 == 5 ? 300f : 1f);
        }
        for (int i = 0; i < 4096; i++) {
            x[3 * 4096 + i] = 0f; // an all-zero row
        }
        Shape shape = new Shape(4, 16, 4096); // per token: one scale per [b, t]
        try (NDManager cpu = NDManager.newBaseManager(Device.cpu());
                NDManager device = NDManager.newBaseManager(Devices.resolve(TestDevice.name()))) {
            EncodedEmit.Int8 onCpu = (EncodedEmit.Int8) EmitEncoder.encode(cpu.create(x, shape), Store.INT8);
            EncodedEmit.Int8 onDevice = (EncodedEmit.Int8) EmitEncoder.encode(device.create(x, shape), Store.INT8);
            assertArrayEquals(onCpu.scales(), onDevice.scales(), 0f);
            assertArrayEquals(onCpu.values(), onDevice.values());
        }
    }
}
