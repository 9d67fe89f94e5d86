package org.fpwap.profile;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How the microbatch size was chosen: the block-forward rates preflight measured at candidate sizes (at the
 * longest prompt's width, on the run's device) and the size it took, or why it measured nothing.
 *
 * @param rates the measured candidates, smallest first (empty when nothing was measured)
 * @param chosenSamples prompts per microbatch at {@code width} that the plan took (0 when nothing was measured)
 * @param width the padded width the candidates were measured at
 * @param reason why this size: "fastest", "within N% of the fastest, smaller", "fixed by --microbatch", ...
 */
public record MicrobatchProbe(List<Rate> rates, int chosenSamples, int width, String reason) {

    /** Nothing measured (the size was fixed by the user, or there was nothing to choose between). */
    public static MicrobatchProbe none(String reason) {
        return new MicrobatchProbe(List.of(), 0, 0, reason);
    }

    public MicrobatchProbe {
        rates = List.copyOf(rates);
        java.util.Objects.requireNonNull(reason, "reason is null");
    }

    /**
     * One measured candidate.
     *
     * @param samples prompts in the probe microbatch
     * @param width tokens per prompt (all real)
     * @param seconds the block forward's time (the best of its timed repetitions)
     */
    public record Rate(int samples, int width, double seconds) {

        /** Token slots per second through one block. */
        public double tokensPerSecond() {
            return seconds > 0 ? (double) samples * width / seconds : 0;
        }

        /** Token slots in the candidate microbatch. */
        public long slots() {
            return (long) samples * width;
        }
    }

    /** One line for the plan: the measured rates and the choice. */
    public String summary() {
        if (rates.isEmpty()) {
            return reason;
        }
        String measured = rates.stream()
                .map(r -> String.format(Locale.ROOT, "%d%s:%,.0f", r.samples(), r.samples() == chosenSamples ? "*" : "", r.tokensPerSecond()))
                .collect(Collectors.joining(" "));
        return String.format(Locale.ROOT, "%d prompts x %d tokens (%s); measured tok/s per block at prompts: %s", chosenSamples, width,
                reason, measured);
    }

    /** The {@code microbatch} object of {@code profile.json}. */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("chosen_samples", chosenSamples);
        o.addProperty("width", width);
        o.addProperty("reason", reason);
        JsonArray array = new JsonArray();
        for (Rate r : rates) {
            JsonObject j = new JsonObject();
            j.addProperty("samples", r.samples());
            j.addProperty("width", r.width());
            j.addProperty("forward_s", r.seconds());
            j.addProperty("tok_per_s", r.tokensPerSecond());
            array.add(j);
        }
        o.add("rates", array);
        return o;
    }
}
