package org.fpwap.run;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fpwap.callback.Artifact;
import org.fpwap.result.EmitStream;

/**
 * What a resumable sweep has made durable: everything needed to continue after {@code completedLayer}.
 *
 * @param identity the run's identity, which a resume must match
 * @param microbatch the microbatching that was chosen (a resume reuses it, so it computes the same bits)
 * @param completedLayer the last layer whose outputs are durable; −1 after the embedding pass
 * @param sweepDone whether every layer is done, so the residual buffers are no longer needed
 * @param emits the emit files committed so far (names inside the work directory)
 * @param artifacts the artifacts the completed layers produced, in production order
 * @param states each callback's {@link org.fpwap.callback.CallbackState} bytes after {@code completedLayer}, by name
 */
public record JournalEntry(RunIdentity identity, Microbatching microbatch, int completedLayer, boolean sweepDone,
        Map<EmitStream, String> emits, List<Artifact> artifacts, Map<String, byte[]> states) {

    public JournalEntry {
        requireNonNull(identity, "identity is null");
        requireNonNull(microbatch, "microbatch is null");
        if (completedLayer < -1) {
            throw new IllegalArgumentException("completedLayer must be >= -1, got " + completedLayer);
        }
        emits = Collections.unmodifiableMap(new LinkedHashMap<>(emits));
        artifacts = List.copyOf(artifacts);
        Map<String, byte[]> copy = new LinkedHashMap<>();
        states.forEach((k, v) -> copy.put(k, v.clone()));
        states = Collections.unmodifiableMap(copy);
    }

    /** The bytes of callback {@code name}'s state (a copy). */
    public byte[] state(String name) {
        byte[] s = states.get(name);
        if (s == null) {
            throw new IllegalArgumentException("the journal holds no state for callback " + name + "; it has " + states.keySet());
        }
        return s.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JournalEntry e && identity.equals(e.identity) && microbatch.equals(e.microbatch)
                && completedLayer == e.completedLayer && sweepDone == e.sweepDone && emits.equals(e.emits)
                && artifacts.equals(e.artifacts) && states.keySet().equals(e.states.keySet())
                && states.keySet().stream().allMatch(k -> Arrays.equals(states.get(k), e.states.get(k)));
    }

    @Override
    public int hashCode() {
        return identity.hashCode() * 31 + completedLayer;
    }

    /**
     * How the dataset was cut into microbatches; kept so a resumed run, whose preflight might choose another
     * size (different free memory), computes with the same shapes and so the same bits.
     *
     * @param samples at most this many prompts per microbatch
     * @param tokenBudget at most this many padded slots
     * @param minFill the minimum fraction of real tokens
     */
    public record Microbatching(int samples, long tokenBudget, double minFill) {}
}
