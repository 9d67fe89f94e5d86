package org.fpwap.bench.jmh;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import java.util.concurrent.TimeUnit;
import org.fpwap.device.Devices;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The ceiling for {@link BlockForwardBench}: DJL's FP32 GEMM as the block calls it
 * ({@code Linear.linear(x, W)}, W {@code [out, in]}), x = {@code [512, H]} (the block bench's 4 × 128
 * tokens), W = {@code [2.75 H, H]} (the MLP's up projection). {@code flops} = 2 × 512 × H × 2.75 H.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {Flags.ADD_OPENS, Flags.NATIVE, Flags.UNSAFE, Flags.VECTOR, Flags.OFFLINE})
@State(Scope.Thread)
public class MatmulBench {

    @Param({"256", "1024"})
    public int hidden;

    private NDManager manager;
    private NDArray x;
    private NDArray w;
    private long flops;

    @Setup(Level.Trial)
    public void setup() {
        Devices.prepareComputeThread();
        manager = NDManager.newBaseManager(Device.cpu());
        int tokens = BlockForwardBench.B * BlockForwardBench.T;
        int out = hidden * 11 / 4;
        x = manager.randomNormal(0, 1, new Shape(tokens, hidden), DataType.FLOAT32);
        w = manager.randomNormal(0, 0.02f, new Shape(out, hidden), DataType.FLOAT32);
        flops = 2L * tokens * hidden * out;
    }

    @Setup(Level.Iteration)
    public void thread() {
        Devices.prepareComputeThread();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close();
    }

    @Benchmark
    public float matmul(Counters c) {
        NDArray y = Linear.linear(x, w).singletonOrThrow();
        float first = y.getFloat(0, 0);
        y.close();
        c.flops += flops;
        return first;
    }
}
