package org.fpwap.model;

import com.google.gson.JsonElement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * Phi-3 / Phi-3.5 / Phi-4-mini ({@code model_type "phi3"}, transformers 4.40 – 5.x): Llama's block with fused
 * projections — {@code self_attn.qkv_proj} {@code [(heads + 2 kv_heads) · head_dim, H]} (rows q, then k, then v)
 * and {@code mlp.gate_up_proj} {@code [2 I, H]} (gate rows first) — partial rotary embeddings
 * ({@code partial_rotary_factor}: the leading {@code int(head_dim · factor)} features of each head rotate),
 * {@code longrope} scaling ({@code short_factor}/{@code long_factor}, switching on sequences longer than
 * {@code original_max_position_embeddings}, cos/sin times the attention factor; the older names {@code su} and
 * {@code yarn} mean the same for Phi-3), and an optional {@code sliding_window} on every layer.
 */
final class Phi3Config {

    private Phi3Config() {}

    static ModelSpec read(ConfigFields c) {
        DecoderConfig d = DecoderConfig.read(c, OptionalInt.empty(), 1e-5, 4096, false);
        Optional<ConfigFields> parameters = c.object("rope_parameters");
        Optional<ConfigFields> scaling = parameters.isPresent() ? parameters : c.object("rope_scaling");
        double factor = scaling.flatMap(s -> s.optionalDouble("partial_rotary_factor"))
                .orElse(c.optionalDouble("partial_rotary_factor").orElse(1.0));
        int rotaryDim = (int) (d.headDim() * factor);
        if (!(factor > 0 && factor <= 1) || rotaryDim < 2 || rotaryDim % 2 != 0) {
            throw c.error("partial_rotary_factor " + factor + " gives " + rotaryDim + " rotary features of head_dim "
                    + d.headDim() + "; it must give a positive even number");
        }
        double theta = parameters.flatMap(p -> p.optionalDouble("rope_theta")).orElse(c.optionalDouble("rope_theta").orElse(10000.0));
        RopeScaling ropeScaling = scaling.map(s -> scaling(s, c, rotaryDim, d.maxPositions())).orElse(new RopeScaling.None());
        RopeSpec rope = new RopeSpec(theta, rotaryDim, ropeScaling);
        OptionalInt window = c.optionalInt("sliding_window");
        Activation act = c.activation("hidden_act", "silu");
        AttentionSpec.Standard attention = new AttentionSpec.Standard(d.heads(), d.kvHeads(), d.headDim(),
                AttentionSpec.QkvProjections.FUSED, false, false, QkNorm.NONE, window, Optional.of(rope),
                (float) (1.0 / Math.sqrt(d.headDim())), OptionalDouble.empty());
        MlpSpec.Dense mlp = new MlpSpec.Dense(d.intermediate(), act, true, false, MlpSpec.MlpStorage.FUSED_GATE_UP);
        return d.spec(ModelFamily.PHI3, NormKind.RMS, act, 1.0f,
                d.layerSpecs(i -> new LayerSpec(i, NormPlacement.PRE, attention, mlp)));
    }

    private static RopeScaling scaling(ConfigFields s, ConfigFields top, int rotaryDim, int maxPositions) {
        String type = s.optionalString("rope_type").or(() -> s.optionalString("type")).orElse("default");
        return switch (type) {
            case "default" -> new RopeScaling.None();
            case "longrope", "su", "yarn" -> {
                List<Double> shortFactor = factors(s, "short_factor", rotaryDim / 2);
                List<Double> longFactor = factors(s, "long_factor", rotaryDim / 2);
                int original = s.optionalInt("original_max_position_embeddings")
                        .orElseGet(() -> top.optionalInt("original_max_position_embeddings").orElseThrow(() -> top.error(
                                "longrope scaling needs original_max_position_embeddings (in " + s.path("") + " or at the top level)")));
                double factor = s.optionalDouble("factor").orElse((double) maxPositions / original);
                double attention = s.optionalDouble("attention_factor").orElse(
                        factor <= 1.0 ? 1.0 : Math.sqrt(1 + Math.log(factor) / Math.log(original)));
                yield new RopeScaling.LongRope(shortFactor, longFactor, original, attention);
            }
            default -> throw s.error(s.path("rope_type") + " \"" + type
                    + "\" is not supported for phi3 (supported: default, longrope)");
        };
    }

    private static List<Double> factors(ConfigFields s, String key, int expected) {
        JsonElement e = s.raw(key);
        if (e == null || !e.isJsonArray() || e.getAsJsonArray().size() != expected) {
            throw s.error(s.path(key) + " must be a list of " + expected + " numbers (one per rotated pair), got " + e);
        }
        List<Double> out = new ArrayList<>(expected);
        for (JsonElement v : e.getAsJsonArray()) {
            if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber() || !(v.getAsDouble() > 0)) {
                throw s.error(s.path(key) + " must hold positive numbers, got " + v);
            }
            out.add(v.getAsDouble());
        }
        return out;
    }
}
