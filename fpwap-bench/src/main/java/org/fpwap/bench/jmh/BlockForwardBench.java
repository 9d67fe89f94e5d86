package org.fpwap.bench.jmh;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.fpwap.bench.BenchModels;
import org.fpwap.device.Devices;
import org.fpwap.forward.BlockForward;
import org.fpwap.forward.ForwardContext;
import org.fpwap.forward.HookHandler;
import org.fpwap.forward.Microbatch;
import org.fpwap.forward.PaddingSide;
import org.fpwap.model.ModelFamily;
import org.fpwap.model.ModelSpec;
import org.fpwap.safetensors.Checkpoint;
import org.fpwap.safetensors.DType;
import org.fpwap.weights.LayerWeights;
import org.fpwap.weights.WeightLoader;
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
 * One transformer block's forward ({@link BlockForward}, weights already loaded, no hooks) per family and
 * hidden size, on a microbatch of 4 × 128 tokens; {@code flops} = 2 × block parameters × tokens + attention
 * (4 × B × T² × heads × head_dim). Compare with {@link MatmulBench} at the same size.
 *
 * <p>Shapes: head_dim 64, heads = H / 64, KV heads = heads / 4 (GPT-2: all), intermediate 2.75 H (GPT-2: 4 H).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {Flags.ADD_OPENS, Flags.NATIVE, Flags.UNSAFE, Flags.VECTOR, Flags.OFFLINE})
@State(Scope.Thread)
public class BlockForwardBench {

    static final int B = 4;
    static final int T = 128;

    @Param({"LLAMA", "QWEN2", "GEMMA", "GPT2"})
    public String family;

    @Param({"256", "1024"})
    public int hidden;

    private Checkpoint checkpoint;
    private NDManager manager;
    private LayerWeights weights;
    private BlockForward block;
    private NDArray input;
    private ForwardContext ctx;
    private long flops;

    /** The benchmark shapes of {@code family} at {@code hidden}. */
    static Path model(ModelFamily family, int hidden) {
        int heads = hidden / 64;
        boolean gpt2 = family == ModelFamily.GPT2;
        int intermediate = gpt2 ? 4 * hidden : hidden * 11 / 4;
        return BenchModels.model(family, DType.F32, hidden, heads, gpt2 ? heads : Math.max(1, heads / 4), 64, intermediate, 1, 256, 512);
    }

    @Setup(Level.Trial)
    public void setup() {
        Devices.prepareComputeThread();
        ModelFamily f = ModelFamily.valueOf(family);
        Path dir = model(f, hidden);
        ModelSpec spec = BenchModels.spec(dir);
        checkpoint = Checkpoint.open(dir);
        manager = NDManager.newBaseManager(Device.cpu());
        weights = new WeightLoader(checkpoint, spec).loadLayer(0, manager);
        block = new BlockForward(spec);
        long[] ids = new long[B];
        int[] lengths = new int[B];
        Arrays.fill(lengths, T);
        for (int i = 0; i < B; i++) {
            ids[i] = i;
        }
        Microbatch mb = Microbatch.ofLengths(ids, lengths, PaddingSide.RIGHT);
        ctx = ForwardContext.create(spec, mb, manager);
        input = manager.randomNormal(0, 1, new Shape(B, T, spec.hiddenSize()), DataType.FLOAT32);
        flops = (long) BenchModels.forwardFlops(spec, 1, (long) B * T, (double) B * T * T);
    }

    @Setup(Level.Iteration)
    public void thread() {
        Devices.prepareComputeThread();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        weights.close();
        manager.close();
        checkpoint.close();
    }

    @Benchmark
    public float blockForward(Counters c) {
        NDArray out = block.forward(weights, input, ctx, HookHandler.NONE);
        float first = out.getFloat(0, 0, 0);
        out.close();
        c.flops += flops;
        return first;
    }
}
