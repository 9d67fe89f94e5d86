package org.fpwap.bench.jmh;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** Per-operation work, reported by JMH as a rate: bytes/s and FLOP/s. */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Counters {
    /** Bytes moved (the benchmark says which: source bytes for widening, checkpoint bytes for loads). */
    public long bytes;
    /** Floating-point operations. */
    public long flops;

    @Setup(Level.Iteration)
    public void reset() {
        bytes = 0;
        flops = 0;
    }
}
