package org.fpwap.model;

import static java.util.Objects.requireNonNull;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Maps a {@link ModelSpec} to the HF tensor names and shapes of its checkpoint. GPT-2 checkpoints
 * come with or without a {@code transformer.} prefix; {@link #resolve} looks at which one the files hold.
 */
public final class TensorNames {

    private final ModelSpec spec;
    private final String prefix;

    private TensorNames(ModelSpec spec, String prefix) {
        this.spec = requireNonNull(spec, "spec is null");
        this.prefix = requireNonNull(prefix, "prefix is null");
    }

    /** Names for {@code spec}, choosing the GPT-2 prefix by which embedding name {@code present} knows. */
    public static TensorNames resolve(ModelSpec spec, Predicate<String> present) {
        if (spec.family() == ModelFamily.GPT2) {
            return new TensorNames(spec, present.test("transformer.wte.weight") ? "transformer." : "");
        }
        return new TensorNames(spec, "model.");
    }

    /** The names for {@code spec} with an explicit prefix ({@code "model."} for Llama-like families). */
    public static TensorNames withPrefix(ModelSpec spec, String prefix) {
        return new TensorNames(spec, prefix);
    }

    /** Whether this is a GPT-2 layout. */
    private boolean gpt2() {
        return spec.family() == ModelFamily.GPT2;
    }

    /** The token embedding {@code [V, H]}. */
    public TensorRef tokenEmbedding() {
        return new TensorRef(prefix + (gpt2() ? "wte.weight" : "embed_tokens.weight"),
                new long[] {spec.vocabSize(), spec.hiddenSize()});
    }

    /** The learned position embedding {@code [P, H]} (GPT-2 only). */
    public Optional<TensorRef> positionEmbedding() {
        return gpt2()
                ? Optional.of(new TensorRef(prefix + "wpe.weight", new long[] {spec.maxPositions(), spec.hiddenSize()}))
                : Optional.empty();
    }

    /** The final norm's weight and, for LayerNorm, bias. */
    public Map<String, TensorRef> finalNorm() {
        long[] h = {spec.hiddenSize()};
        if (gpt2()) {
            return Map.of("weight", new TensorRef(prefix + "ln_f.weight", h), "bias", new TensorRef(prefix + "ln_f.bias", h));
        }
        return Map.of("weight", new TensorRef(prefix + "norm.weight", h));
    }

    /** Every tensor of block {@code layer}, by role, with the shape the spec implies. */
    public Map<LayerTensor, TensorRef> layer(int layer) {
        if (layer < 0 || layer >= spec.numLayers()) {
            throw new IllegalArgumentException("layer " + layer + " out of range [0, " + spec.numLayers() + ")");
        }
        return gpt2() ? gpt2Layer(layer) : llamaLayer(layer);
    }

    private Map<LayerTensor, TensorRef> llamaLayer(int layer) {
        String p = prefix + "layers." + layer + ".";
        long h = spec.hiddenSize();
        long q = (long) spec.numHeads() * spec.headDim();
        long kv = (long) spec.numKvHeads() * spec.headDim();
        long inter = spec.intermediateSize();
        Map<LayerTensor, TensorRef> m = new EnumMap<>(LayerTensor.class);
        m.put(LayerTensor.ATTN_NORM_WEIGHT, new TensorRef(p + "input_layernorm.weight", new long[] {h}));
        m.put(LayerTensor.Q_WEIGHT, new TensorRef(p + "self_attn.q_proj.weight", new long[] {q, h}));
        m.put(LayerTensor.K_WEIGHT, new TensorRef(p + "self_attn.k_proj.weight", new long[] {kv, h}));
        m.put(LayerTensor.V_WEIGHT, new TensorRef(p + "self_attn.v_proj.weight", new long[] {kv, h}));
        m.put(LayerTensor.O_WEIGHT, new TensorRef(p + "self_attn.o_proj.weight", new long[] {h, q}));
        if (spec.qkvBias()) {
            m.put(LayerTensor.Q_BIAS, new TensorRef(p + "self_attn.q_proj.bias", new long[] {q}));
            m.put(LayerTensor.K_BIAS, new TensorRef(p + "self_attn.k_proj.bias", new long[] {kv}));
            m.put(LayerTensor.V_BIAS, new TensorRef(p + "self_attn.v_proj.bias", new long[] {kv}));
        }
        if (spec.outputBias()) {
            m.put(LayerTensor.O_BIAS, new TensorRef(p + "self_attn.o_proj.bias", new long[] {h}));
        }
        m.put(LayerTensor.MLP_NORM_WEIGHT, new TensorRef(p + "post_attention_layernorm.weight", new long[] {h}));
        m.put(LayerTensor.GATE_WEIGHT, new TensorRef(p + "mlp.gate_proj.weight", new long[] {inter, h}));
        m.put(LayerTensor.UP_WEIGHT, new TensorRef(p + "mlp.up_proj.weight", new long[] {inter, h}));
        m.put(LayerTensor.DOWN_WEIGHT, new TensorRef(p + "mlp.down_proj.weight", new long[] {h, inter}));
        if (spec.mlpBias()) {
            m.put(LayerTensor.GATE_BIAS, new TensorRef(p + "mlp.gate_proj.bias", new long[] {inter}));
            m.put(LayerTensor.UP_BIAS, new TensorRef(p + "mlp.up_proj.bias", new long[] {inter}));
            m.put(LayerTensor.DOWN_BIAS, new TensorRef(p + "mlp.down_proj.bias", new long[] {h}));
        }
        return m;
    }

    private Map<LayerTensor, TensorRef> gpt2Layer(int layer) {
        String p = prefix + "h." + layer + ".";
        long h = spec.hiddenSize();
        long inter = spec.intermediateSize();
        Map<LayerTensor, TensorRef> m = new EnumMap<>(LayerTensor.class);
        m.put(LayerTensor.ATTN_NORM_WEIGHT, new TensorRef(p + "ln_1.weight", new long[] {h}));
        m.put(LayerTensor.ATTN_NORM_BIAS, new TensorRef(p + "ln_1.bias", new long[] {h}));
        m.put(LayerTensor.QKV_WEIGHT, new TensorRef(p + "attn.c_attn.weight", new long[] {h, 3 * h}));
        m.put(LayerTensor.QKV_BIAS, new TensorRef(p + "attn.c_attn.bias", new long[] {3 * h}));
        m.put(LayerTensor.O_WEIGHT, new TensorRef(p + "attn.c_proj.weight", new long[] {h, h}));
        m.put(LayerTensor.O_BIAS, new TensorRef(p + "attn.c_proj.bias", new long[] {h}));
        m.put(LayerTensor.MLP_NORM_WEIGHT, new TensorRef(p + "ln_2.weight", new long[] {h}));
        m.put(LayerTensor.MLP_NORM_BIAS, new TensorRef(p + "ln_2.bias", new long[] {h}));
        m.put(LayerTensor.UP_WEIGHT, new TensorRef(p + "mlp.c_fc.weight", new long[] {h, inter}));
        m.put(LayerTensor.UP_BIAS, new TensorRef(p + "mlp.c_fc.bias", new long[] {inter}));
        m.put(LayerTensor.DOWN_WEIGHT, new TensorRef(p + "mlp.c_proj.weight", new long[] {inter, h}));
        m.put(LayerTensor.DOWN_BIAS, new TensorRef(p + "mlp.c_proj.bias", new long[] {h}));
        return m;
    }

    /** The untied output head {@code [V, H]} name ({@code lm_head.weight}); we never read it. */
    public String lmHead() {
        return "lm_head.weight";
    }
}
