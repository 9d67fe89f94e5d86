package org.fpwap.sweep;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.fpwap.forward.Hook;
import org.fpwap.forward.HookHandler;
import org.fpwap.forward.Microbatch;
import org.fpwap.result.VerifyReport;

/**
 * {@code verify} mode: a 64-bit digest of each sample's real-token activations at every hook a callback
 * sees, recorded on the streaming pass and compared on the naive pass. Two views per hook: what READ
 * callbacks see, and the value after write-backs (what the forward continues with); plus the emits of
 * stateless callbacks, which the naive pass calls again.
 */
final class DigestBook {

    private record Key(int layer, String view) {}

    private final Map<Key, long[]> digests = new LinkedHashMap<>();
    private final int samples;
    private long compared;
    private VerifyReport.Mismatch firstMismatch;

    DigestBook(int samples) {
        this.samples = samples;
    }

    /** Wraps {@code inner}: records (or, when {@code compare}, checks) digests at the hooks {@code subscribed} says. */
    HookHandler around(HookHandler inner, Microbatch mb, SubscriptionIndex subscribed, boolean compare) {
        return HookHandler.routingTo(inner, (layer, hook, activation) -> {
            boolean checked = subscribed.any(layer, hook);
            if (checked) {
                visit(layer, hook.wireName(), activation, mb, compare);
            }
            NDArray out = inner.at(layer, hook, activation);
            if (checked && out != activation) {
                visit(layer, hook.wireName() + " (after write-backs)", out, mb, compare);
            }
            return out;
        });
    }

    private void visit(int layer, String view, NDArray activation, Microbatch mb, boolean compare) {
        visit(layer, view, activation.toFloatArray(), (int) activation.getShape().get(2), true, mb, compare);
    }

    /**
     * Records or checks the digest of what a stateless callback emitted: {@code values} is {@code [B, W]}, or
     * {@code [B, T, W]} when {@code perToken} (only real tokens count).
     */
    void emitted(String callback, int layer, Hook hook, float[] values, int width, boolean perToken, Microbatch mb,
            boolean compare) {
        visit(layer, "emit of " + callback + " at " + hook.wireName(), values, width, perToken, mb, compare);
    }

    private void visit(int layer, String view, float[] values, int width, boolean perToken, Microbatch mb, boolean compare) {
        long[] book = digests.computeIfAbsent(new Key(layer, view), k -> new long[samples]);
        for (int b = 0; b < mb.size(); b++) {
            int from = perToken ? (b * mb.width() + mb.offset(b)) * width : b * width;
            int to = from + (perToken ? mb.length(b) : 1) * width;
            long digest = 1125899906842597L;
            for (int i = from; i < to; i++) {
                digest = 31 * digest + Float.floatToRawIntBits(values[i]);
            }
            int id = Math.toIntExact(mb.sampleId(b));
            if (!compare) {
                book[id] = digest;
                continue;
            }
            compared++;
            if (book[id] != digest && firstMismatch == null) {
                firstMismatch = new VerifyReport.Mismatch(layer, view, id);
            }
        }
    }

    /** The comparison's outcome. */
    VerifyReport report() {
        return new VerifyReport(compared, Optional.ofNullable(firstMismatch));
    }

    /** Which (layer, hook) pairs any callback subscribes to. */
    interface SubscriptionIndex {
        boolean any(int layer, Hook hook);
    }
}
