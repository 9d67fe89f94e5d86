package org.fpwap.model;

import java.util.List;
import java.util.OptionalInt;

/**
 * Qwen3 ({@code model_type "qwen3"}, transformers 4.51 – 5.x): Llama's block plus an RMSNorm over each
 * head's {@code head_dim} features on queries and keys before RoPE ({@code q_norm}, {@code k_norm}),
 * an explicit {@code head_dim} (default 128), optional {@code attention_bias}, and sliding-window layers
 * only when {@code use_sliding_window} is true (from {@code layer_types}, else layers from
 * {@code max_window_layers} on, as {@code Qwen3Config} derives them).
 */
final class Qwen3Config {

    private Qwen3Config() {}

    static ModelSpec read(ConfigFields c) {
        DecoderConfig d = DecoderConfig.read(c, OptionalInt.of(128), 1e-6, 32768, false);
        boolean bias = c.optionalBoolean("attention_bias").orElse(false);
        Activation act = c.activation("hidden_act", "silu");
        RopeSpec rope = RopeConfig.read(c, d.headDim(), 10000.0);
        List<LayerTypes.Kind> kinds = slidingLayers(c, d.layers());
        OptionalInt window = c.optionalBoolean("use_sliding_window").orElse(false)
                ? c.optionalInt("sliding_window") : OptionalInt.empty();
        if (window.isEmpty() && kinds.contains(LayerTypes.Kind.SLIDING)) {
            throw c.error("layer_types has sliding_attention layers but no sliding_window applies "
                    + "(use_sliding_window is false or sliding_window is null)");
        }
        MlpSpec.Dense mlp = d.gatedMlp(act);
        return d.spec(ModelFamily.QWEN3, NormKind.RMS, act, 1.0f, d.layerSpecs(i -> {
            AttentionSpec.Standard attention = new AttentionSpec.Standard(d.heads(), d.kvHeads(), d.headDim(),
                    AttentionSpec.QkvProjections.SEPARATE, bias, bias, QkNorm.PER_HEAD,
                    kinds.get(i) == LayerTypes.Kind.SLIDING ? window : OptionalInt.empty(),
                    java.util.Optional.of(rope), (float) (1.0 / Math.sqrt(d.headDim())), java.util.OptionalDouble.empty());
            return new LayerSpec(i, NormPlacement.PRE, attention, mlp);
        }));
    }

    private static List<LayerTypes.Kind> slidingLayers(ConfigFields c, int layers) {
        return LayerTypes.read(c, layers).orElseGet(() -> {
            boolean on = c.optionalBoolean("use_sliding_window").orElse(false) && c.has("sliding_window");
            int from = c.optionalInt("max_window_layers", 0).orElse(28);
            return java.util.stream.IntStream.range(0, layers)
                    .mapToObj(i -> on && i >= from ? LayerTypes.Kind.SLIDING : LayerTypes.Kind.FULL).toList();
        });
    }
}
