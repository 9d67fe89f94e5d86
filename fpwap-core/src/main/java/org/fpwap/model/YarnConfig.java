package org.fpwap.model;

/**
 * Reads a {@code rope_type "yarn"} object (in {@code rope_scaling} or {@code rope_parameters}) as transformers 5.x
 * does: {@code factor} as given (4.4x–4.5x instead replaced it by {@code max_position_embeddings /
 * original_max_position_embeddings} whenever the latter was set), {@code beta_fast} 32 and {@code beta_slow} 1 by
 * default, {@code truncate} true by default, and the attention factor from {@code attention_factor} or the
 * {@code mscale}/{@code mscale_all_dim} pair.
 */
final class YarnConfig {

    private YarnConfig() {}

    static RopeScaling.Yarn read(ConfigFields s) {
        double factor = s.positive("factor");
        int original = s.optionalInt("original_max_position_embeddings").orElseThrow(() -> s.error(
                s.path("original_max_position_embeddings") + " is required for rope_type \"yarn\" here (the "
                        + "pre-extension context length; DeepSeek-V2 configs carry it)"));
        double betaFast = s.optionalDouble("beta_fast").filter(v -> v != 0).orElse(32.0);
        double betaSlow = s.optionalDouble("beta_slow").filter(v -> v != 0).orElse(1.0);
        boolean truncate = s.optionalBoolean("truncate").orElse(true);
        double attention = s.optionalDouble("attention_factor").orElseGet(() -> {
            double mscale = s.optionalDouble("mscale").orElse(0.0);
            double mscaleAllDim = s.optionalDouble("mscale_all_dim").orElse(0.0);
            return mscale != 0 && mscaleAllDim != 0 ? mscale(factor, mscale) / mscale(factor, mscaleAllDim) : mscale(factor, 1);
        });
        return new RopeScaling.Yarn(factor, original, betaFast, betaSlow, attention, truncate);
    }

    /** YaRN's {@code 0.1 · m · ln(scale) + 1}, 1 when {@code scale <= 1}. */
    static double mscale(double scale, double m) {
        return scale <= 1 ? 1.0 : 0.1 * m * Math.log(scale) + 1.0;
    }
}
