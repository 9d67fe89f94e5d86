package org.fpwap.bench.jmh;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import org.fpwap.safetensors.Widening;
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
 * BF16/F16 → FP32 widening ({@link Widening}) against plain copies: {@code bytes} counts the 16-bit
 * source bytes for every method, so the copy rows are directly comparable ({@code copySourceBytes} copies
 * as many bytes as widening reads; {@code copyWidenedBytes} as many as it writes).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {Flags.ADD_OPENS, Flags.NATIVE, Flags.UNSAFE, Flags.VECTOR, Flags.OFFLINE})
@State(Scope.Thread)
public class WideningBench {

    /** Elements per call: 8 Mi = 16 MiB of BF16 in, 32 MiB of FP32 out (bigger than the caches). */
    @Param({"8388608"})
    public long elements;

    private Arena arena;
    private MemorySegment half;
    private MemorySegment wide;
    private MemorySegment source32;

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        half = arena.allocate(elements * 2, 64);
        wide = arena.allocate(elements * 4, 64);
        source32 = arena.allocate(elements * 4, 64);
        source32.fill((byte) 1);
        wide.fill((byte) 0);
        RandomGenerator r = RandomGenerator.of("L64X128MixRandom");
        for (long i = 0; i < elements; i++) {
            // finite halves in both encodings (exponent bits kept away from all-ones)
            half.setAtIndex(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (r.nextInt(0x7800) | (r.nextBoolean() ? 0x8000 : 0)));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public MemorySegment bf16ToF32(Counters c) {
        Widening.bf16ToF32(half, 0, wide, 0, elements);
        c.bytes += elements * 2;
        return wide;
    }

    @Benchmark
    public MemorySegment f16ToF32(Counters c) {
        Widening.f16ToF32(half, 0, wide, 0, elements);
        c.bytes += elements * 2;
        return wide;
    }

    /** {@code MemorySegment.copy} of the source's bytes (what a same-dtype load reads). */
    @Benchmark
    public MemorySegment copySourceBytes(Counters c) {
        MemorySegment.copy(half, 0, wide, 0, elements * 2);
        c.bytes += elements * 2;
        return wide;
    }

    /** {@code MemorySegment.copy} of as many bytes as widening writes (an F32 checkpoint's staging copy). */
    @Benchmark
    public MemorySegment copyWidenedBytes(Counters c) {
        MemorySegment.copy(source32, 0, wide, 0, elements * 4);
        c.bytes += elements * 2;
        return wide;
    }
}
