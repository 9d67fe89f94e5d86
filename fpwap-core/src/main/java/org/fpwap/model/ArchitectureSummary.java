package org.fpwap.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.stream.Collectors;

/**
 * What distinguishes a model's blocks, in a few human-readable lines for {@code inspect} and the plan: norm
 * placement, q/k norms, soft-capping, the window layout across layers, RoPE variants, and the MLP kind of each
 * layer. Derived from the layer specs alone, so every family is described by the same code.
 */
public final class ArchitectureSummary {

    private ArchitectureSummary() {}

    /** The feature lines for {@code spec} (each without a trailing newline). */
    public static List<String> lines(ModelSpec spec) {
        List<String> out = new ArrayList<>();
        LayerSpec first = spec.layer(0);
        out.add("norms:        " + switch (first.norms()) {
            case PRE -> "before each sub-layer";
            case SANDWICH -> "before and after each sub-layer (sandwich)";
            case POST -> "after each sub-layer, before the residual add";
        } + ", " + spec.norm().name().toLowerCase(Locale.ROOT) + ", eps " + spec.normEps());
        out.add("attention:    " + attentionLine(spec));
        out.add("windows:      " + windowLayout(spec));
        out.add("rope:         " + ropeLine(spec));
        out.add("mlp:          " + mlpLayout(spec));
        return out;
    }

    private static String attentionLine(ModelSpec spec) {
        Map<String, Integer> kinds = new LinkedHashMap<>();
        for (LayerSpec l : spec.layers()) {
            kinds.merge(describe(l.attention()), 1, Integer::sum);
        }
        return grouped(kinds);
    }

    private static String describe(AttentionSpec a) {
        return switch (a) {
            case AttentionSpec.Standard s -> {
                StringBuilder b = new StringBuilder();
                b.append(s.numHeads()).append(" heads (").append(s.numKvHeads()).append(" KV) x ").append(s.headDim());
                if (s.projections() != AttentionSpec.QkvProjections.SEPARATE) {
                    b.append(", fused qkv");
                }
                if (s.qkNorm() != QkNorm.NONE) {
                    b.append(", q/k norm ").append(s.qkNorm() == QkNorm.PER_HEAD ? "per head" : "over the projection");
                }
                s.softcap().ifPresent(c -> b.append(", logit soft-cap ").append(c));
                b.append(String.format(Locale.ROOT, ", scale %.6g", s.scale()));
                yield b.toString();
            }
            case AttentionSpec.Latent l -> l.numHeads() + " heads, latent attention: q "
                    + (l.qLoraRank().isPresent() ? "rank " + l.qLoraRank().getAsInt() : "full") + ", kv rank " + l.kvLoraRank()
                    + ", q/k " + l.qkNopeHeadDim() + " + " + l.qkRopeHeadDim() + " rope, v " + l.vHeadDim()
                    + String.format(Locale.ROOT, ", scale %.6g", l.scale());
        };
    }

    private static String windowLayout(ModelSpec spec) {
        StringBuilder pattern = new StringBuilder();
        Map<Integer, Integer> windows = new LinkedHashMap<>();
        for (LayerSpec l : spec.layers()) {
            OptionalInt w = l.attention().slidingWindow();
            pattern.append(w.isPresent() ? 'S' : 'G');
            w.ifPresent(v -> windows.merge(v, 1, Integer::sum));
        }
        if (windows.isEmpty()) {
            return "none (every layer global)";
        }
        String sizes = windows.keySet().stream().map(String::valueOf).collect(Collectors.joining(", "));
        return "window " + sizes + " on " + windows.values().stream().mapToInt(Integer::intValue).sum() + " of "
                + spec.numLayers() + " layers (S = sliding, G = global): " + pattern;
    }

    private static String ropeLine(ModelSpec spec) {
        Map<String, Integer> kinds = new LinkedHashMap<>();
        for (LayerSpec l : spec.layers()) {
            kinds.merge(l.attention().rope().map(ArchitectureSummary::describe).orElse("learned positions"), 1, Integer::sum);
        }
        return grouped(kinds);
    }

    private static String describe(RopeSpec r) {
        String scaling = switch (r.scaling()) {
            case RopeScaling.None n -> "";
            case RopeScaling.Linear l -> ", linear x" + l.factor();
            case RopeScaling.Llama3 l -> ", llama3 x" + l.factor();
            case RopeScaling.LongRope l -> ", longrope (long factors beyond " + l.originalMaxPositions() + " positions, attention x"
                    + String.format(Locale.ROOT, "%.6g", l.attentionFactor()) + ")";
            case RopeScaling.Yarn y -> ", yarn x" + y.factor() + " from " + y.originalMaxPositions() + " positions, attention factor "
                    + String.format(Locale.ROOT, "%.6g", y.attentionFactor());
        };
        return "theta " + r.theta() + ", " + r.rotaryDim() + " dims" + scaling;
    }

    private static String mlpLayout(ModelSpec spec) {
        Map<String, Integer> kinds = new LinkedHashMap<>();
        for (LayerSpec l : spec.layers()) {
            kinds.merge(describe(l.mlp()), 1, Integer::sum);
        }
        return grouped(kinds);
    }

    private static String describe(MlpSpec m) {
        return switch (m) {
            case MlpSpec.Dense d -> (d.gated() ? "gated " : "") + "dense " + d.intermediateSize() + ", "
                    + d.activation().name().toLowerCase(Locale.ROOT)
                    + (d.storage() == MlpSpec.MlpStorage.FUSED_GATE_UP ? ", fused gate_up" : "");
            case MlpSpec.Moe e -> describeMoe(e);
        };
    }

    private static String describeMoe(MlpSpec.Moe e) {
        StringBuilder b = new StringBuilder("mixture of ").append(e.experts()).append(" experts x ")
                .append(e.expertIntermediate()).append(", top ").append(e.topK());
        if (e.router().selection() instanceof MlpSpec.Selection.GroupLimited g) {
            b.append(" within the best ").append(g.topGroups()).append(" of ").append(g.groups()).append(" groups");
        }
        b.append(e.router().renormalize() ? ", renormalised" : "");
        if (e.router().scalingFactor() != 1.0) {
            b.append(", weights x ").append(e.router().scalingFactor());
        }
        e.shared().ifPresent(s -> b.append(", shared expert ").append(s.intermediateSize())
                .append(s.sigmoidGate() ? " (sigmoid-gated)" : ""));
        return b.append(", ").append(e.activation().name().toLowerCase(Locale.ROOT)).toString();
    }

    /** "X" when every layer has it, else "X on n layers; Y on m layers". */
    private static String grouped(Map<String, Integer> kinds) {
        if (kinds.size() == 1) {
            return kinds.keySet().iterator().next();
        }
        return kinds.entrySet().stream().map(e -> e.getKey() + " on " + e.getValue() + " layers")
                .collect(Collectors.joining("; "));
    }
}
