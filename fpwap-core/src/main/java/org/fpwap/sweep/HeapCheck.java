package org.fpwap.sweep;

import java.util.Locale;
import java.util.Optional;

/**
 * Whether the JVM heap can hold a microbatch's host copies. The heap holds no model weights and no residual
 * stream (both off-heap); what it does hold scales with the largest microbatch: emitted activations and
 * write-backs copied out of tensors, a few copies of {@code slots × H} floats at most. {@code scripts/fpwap}
 * sizes {@code -Xmx} with the same rule for the largest automatic microbatch; a user-chosen larger microbatch
 * or a smaller {@code -Xmx} is refused here, before anything runs, rather than failing with
 * {@code OutOfMemoryError} mid-sweep.
 */
final class HeapCheck {
    /** Host copies of one microbatch's activations the heap must hold at once (emits at several hooks, write-backs). */
    static final int SLOT_COPIES = 12;
    /** The rest: the dataset's lengths and labels, DJL, Arrow and the CLI. */
    static final long BASE_BYTES = 64L << 20;

    private HeapCheck() {}

    /** Bytes of heap a sweep with microbatches of at most {@code maxSlots} token slots of width {@code hidden} needs. */
    static long neededBytes(long maxSlots, int hidden) {
        return BASE_BYTES + SLOT_COPIES * maxSlots * hidden * (long) Float.BYTES;
    }

    /** A blocker when {@code maxHeap} is below {@link #neededBytes}, saying what to change. */
    static Optional<String> blocker(long maxSlots, int hidden, long maxHeap) {
        long need = neededBytes(maxSlots, hidden);
        if (maxHeap == Long.MAX_VALUE || maxHeap >= need) {
            return Optional.empty();
        }
        return Optional.of(String.format(Locale.ROOT, "the JVM heap (-Xmx) is %,d MiB but microbatches of up to %,d token "
                + "slots x %d floats need about %,d MiB of it; lower --microbatch, or raise the heap with "
                + "FPWAP_JAVA_OPTS=-Xmx%dm", maxHeap >> 20, maxSlots, hidden, need >> 20, (need >> 20) + 1));
    }
}
