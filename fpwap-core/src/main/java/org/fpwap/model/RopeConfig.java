package org.fpwap.model;

import java.util.Optional;

/**
 * Reads rotary-embedding settings in both shapes Hugging Face writes them: transformers 4.x's top-level
 * {@code rope_theta} plus a {@code rope_scaling} object, and transformers 5.x's {@code rope_parameters}
 * object (which carries {@code rope_theta} and the scaling keys together).
 */
public final class RopeConfig {

    private RopeConfig() {}

    /** The model-wide RoPE of {@code c}: base and scaling from whichever shape the config uses. */
    public static RopeSpec read(ConfigFields c, int rotaryDim, double defaultTheta) {
        Optional<ConfigFields> parameters = c.object("rope_parameters");
        if (parameters.isPresent()) {
            return fromParameters(parameters.get(), c, rotaryDim, defaultTheta);
        }
        double theta = c.optionalDouble("rope_theta").orElse(defaultTheta);
        return new RopeSpec(theta, rotaryDim, c.object("rope_scaling").map(RopeConfig::scaling).orElse(new RopeScaling.None()));
    }

    /** A {@code rope_parameters} object (5.x): its own {@code rope_theta}, else the top-level one, else the default. */
    public static RopeSpec fromParameters(ConfigFields p, ConfigFields top, int rotaryDim, double defaultTheta) {
        double theta = p.optionalDouble("rope_theta").orElse(top.optionalDouble("rope_theta").orElse(defaultTheta));
        return new RopeSpec(theta, rotaryDim, scaling(p));
    }

    /** The scaling an object with {@code rope_type} (or the older {@code type}) describes. */
    public static RopeScaling scaling(ConfigFields s) {
        String type = s.optionalString("rope_type").or(() -> s.optionalString("type")).orElse("default");
        return switch (type) {
            case "default" -> new RopeScaling.None();
            case "linear" -> new RopeScaling.Linear(s.positive("factor"));
            case "llama3" -> {
                double low = s.positive("low_freq_factor");
                double high = s.positive("high_freq_factor");
                if (high <= low) {
                    throw s.error(s.path("high_freq_factor") + " (" + high + ") must exceed " + s.path("low_freq_factor")
                            + " (" + low + ")");
                }
                yield new RopeScaling.Llama3(s.positive("factor"), low, high, (int) s.positive("original_max_position_embeddings"));
            }
            case "yarn" -> YarnConfig.read(s);
            default -> throw s.error(s.path("rope_type") + " \"" + type
                    + "\" is not supported here (supported: default, linear, llama3); computing it without that scaling would give wrong activations");
        };
    }
}
