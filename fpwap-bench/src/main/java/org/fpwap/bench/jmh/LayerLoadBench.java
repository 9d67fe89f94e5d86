package org.fpwap.bench.jmh;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.fpwap.bench.BenchModels;
import org.fpwap.model.ModelFamily;
import org.fpwap.model.ModelSpec;
import org.fpwap.safetensors.Checkpoint;
import org.fpwap.safetensors.DType;
import org.fpwap.weights.LayerLayout;
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
 * One block's weights from the mapped safetensors file to the FP32 staging buffer
 * ({@link WeightLoader#stage}, what the prefetch thread does per layer), warm page cache. Llama,
 * H=1024, I=2816, 16 heads / 4 KV heads: 11.0 M parameters per block. {@code bytes} counts checkpoint
 * bytes read (22 MB BF16, 44 MB F32).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {Flags.ADD_OPENS, Flags.NATIVE, Flags.UNSAFE, Flags.VECTOR, Flags.OFFLINE})
@State(Scope.Thread)
public class LayerLoadBench {

    @Param({"BF16", "F32"})
    public String dtype;

    private Checkpoint checkpoint;
    private WeightLoader loader;
    private LayerLayout layout;
    private Arena arena;
    private MemorySegment staging;

    @Setup(Level.Trial)
    public void setup() {
        Path dir = BenchModels.model(ModelFamily.LLAMA, DType.valueOf(dtype), 1024, 16, 4, 64, 2816, 1, 256, 512);
        ModelSpec spec = BenchModels.spec(dir);
        checkpoint = Checkpoint.open(dir);
        loader = new WeightLoader(checkpoint, spec);
        layout = loader.layout(0);
        arena = Arena.ofShared();
        staging = arena.allocate(layout.bytes(), LayerLayout.ALIGNMENT);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
        checkpoint.close();
    }

    @Benchmark
    public MemorySegment stageLayer(Counters c) {
        c.bytes += loader.stage(layout, staging);
        return staging;
    }
}
