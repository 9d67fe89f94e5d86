package org.fpwap.bench.jmh;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.fpwap.buffer.ResidualBuffer;
import org.fpwap.forward.PaddingSide;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The residual buffer's microbatch path, as the engine uses it: {@code readPadded} of 16 samples into
 * an off-heap [B, T, H] block and {@code writePadded} back, H = 1024, lengths 48..63 padded to 64,
 * cycling over a 256-sample (≈ 57 MB) FP32 file in /tmp (page cache warm). {@code bytes} counts the
 * real-token bytes moved (no padding).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {Flags.ADD_OPENS, Flags.NATIVE, Flags.UNSAFE, Flags.VECTOR, Flags.OFFLINE})
@State(Scope.Thread)
public class ResidualBufferBench {

    private static final int H = 1024;
    private static final int SAMPLES = 256;
    private static final int B = 16;
    private static final int T = 64;

    private Path dir;
    private ResidualBuffer buffer;
    private Arena arena;
    private MemorySegment block;
    private long[] realBytes;
    private int next;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        dir = Files.createTempDirectory("fpwap-bench-residual");
        long[] ids = new long[SAMPLES];
        int[] lengths = new int[SAMPLES];
        for (int i = 0; i < SAMPLES; i++) {
            ids[i] = i;
            lengths[i] = 63 - (i % 16);
        }
        buffer = ResidualBuffer.create(dir, H, ids, lengths, ResidualBuffer.Transport.FP32, false);
        arena = Arena.ofShared();
        block = arena.allocate((long) B * T * H * Float.BYTES, 64);
        block.fill((byte) 0x3f);
        realBytes = new long[SAMPLES / B];
        for (int m = 0; m < realBytes.length; m++) {
            long tokens = 0;
            for (int b = 0; b < B; b++) {
                tokens += lengths[m * B + b];
            }
            realBytes[m] = tokens * H * Float.BYTES;
            buffer.writePadded(m * B, B, T, PaddingSide.RIGHT, block);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        arena.close();
        buffer.close();
        Files.deleteIfExists(dir);
    }

    @Benchmark
    public MemorySegment readPadded(Counters c) {
        int m = next++ % realBytes.length;
        buffer.readPadded(m * B, B, T, PaddingSide.RIGHT, block);
        c.bytes += realBytes[m];
        return block;
    }

    @Benchmark
    public MemorySegment writePadded(Counters c) {
        int m = next++ % realBytes.length;
        buffer.writePadded(m * B, B, T, PaddingSide.RIGHT, block);
        c.bytes += realBytes[m];
        return block;
    }
}
