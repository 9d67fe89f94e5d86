package org.fpwap.model;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Maps a {@link ModelSpec} to the HF tensor names and shapes of its checkpoint. GPT-2 checkpoints
 * come with or without a {@code transformer.} prefix, multimodal Gemma 3 ones hold the text model under
 * {@code language_model.model.} or {@code model.language_model.}; {@link #resolve} looks at which one the files hold.
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
        if (spec.family() == ModelFamily.GEMMA3_TEXT) {
            // The multimodal Gemma 3 checkpoint holds the text model under language_model.model. (as released) or
            // model.language_model. (as transformers 4.52+ saves it).
            for (String multimodal : List.of("language_model.model.", "model.language_model.")) {
                if (present.test(multimodal + "embed_tokens.weight")) {
                    return new TensorNames(spec, multimodal);
                }
            }
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
    public Map<LayerTensor, WeightRef> layer(int layer) {
        LayerSpec ls = spec.layer(layer);
        Map<LayerTensor, WeightRef> m = new EnumMap<>(LayerTensor.class);
        if (gpt2()) {
            m.putAll(gpt2Layer(layer));
            return m;
        }
        String p = prefix + "layers." + layer + ".";
        norms(p, ls.norms(), m);
        switch (ls.attention()) {
            case AttentionSpec.Standard a -> standardAttention(p, a, m);
            case AttentionSpec.Latent a -> latentAttention(p + "self_attn.", a, m);
        }
        switch (ls.mlp()) {
            case MlpSpec.Dense d -> denseMlp(p + "mlp.", d, m);
            case MlpSpec.Moe e -> moeMlp(p, e, m);
        }
        return m;
    }

    /** Every checkpoint tensor block {@code layer} reads (stacked roles flattened into their parts). */
    public List<TensorRef> layerTensors(int layer) {
        List<TensorRef> out = new ArrayList<>();
        for (WeightRef ref : layer(layer).values()) {
            out.addAll(ref.parts());
        }
        return out;
    }

    /**
     * Norm names follow one rule across families: {@code input_layernorm} before attention,
     * {@code post_attention_layernorm} after it when the block has post-norms and before the MLP when it has
     * only pre-norms (Llama's naming), {@code pre_feedforward_layernorm}/{@code post_feedforward_layernorm}
     * around the MLP otherwise (Gemma 2/3, OLMo 2).
     */
    private void norms(String p, NormPlacement placement, Map<LayerTensor, WeightRef> m) {
        long[] h = {spec.hiddenSize()};
        if (placement.hasPreNorms()) {
            m.put(LayerTensor.ATTN_NORM_WEIGHT, new TensorRef(p + "input_layernorm.weight", h));
        }
        if (placement == NormPlacement.PRE) {
            m.put(LayerTensor.MLP_NORM_WEIGHT, new TensorRef(p + "post_attention_layernorm.weight", h));
        } else {
            m.put(LayerTensor.POST_ATTN_NORM_WEIGHT, new TensorRef(p + "post_attention_layernorm.weight", h));
            m.put(LayerTensor.POST_MLP_NORM_WEIGHT, new TensorRef(p + "post_feedforward_layernorm.weight", h));
            if (placement.hasPreNorms()) {
                m.put(LayerTensor.MLP_NORM_WEIGHT, new TensorRef(p + "pre_feedforward_layernorm.weight", h));
            }
        }
    }

    private void standardAttention(String p, AttentionSpec.Standard a, Map<LayerTensor, WeightRef> m) {
        String s = p + "self_attn.";
        long h = spec.hiddenSize();
        long q = (long) a.numHeads() * a.headDim();
        long kv = (long) a.numKvHeads() * a.headDim();
        if (a.projections() == AttentionSpec.QkvProjections.FUSED) {
            m.put(LayerTensor.QKV_WEIGHT, new TensorRef(s + "qkv_proj.weight", new long[] {q + 2 * kv, h}));
            if (a.qkvBias()) {
                m.put(LayerTensor.QKV_BIAS, new TensorRef(s + "qkv_proj.bias", new long[] {q + 2 * kv}));
            }
        } else {
            m.put(LayerTensor.Q_WEIGHT, new TensorRef(s + "q_proj.weight", new long[] {q, h}));
            m.put(LayerTensor.K_WEIGHT, new TensorRef(s + "k_proj.weight", new long[] {kv, h}));
            m.put(LayerTensor.V_WEIGHT, new TensorRef(s + "v_proj.weight", new long[] {kv, h}));
            if (a.qkvBias()) {
                m.put(LayerTensor.Q_BIAS, new TensorRef(s + "q_proj.bias", new long[] {q}));
                m.put(LayerTensor.K_BIAS, new TensorRef(s + "k_proj.bias", new long[] {kv}));
                m.put(LayerTensor.V_BIAS, new TensorRef(s + "v_proj.bias", new long[] {kv}));
            }
        }
        m.put(LayerTensor.O_WEIGHT, new TensorRef(s + "o_proj.weight", new long[] {h, q}));
        if (a.outputBias()) {
            m.put(LayerTensor.O_BIAS, new TensorRef(s + "o_proj.bias", new long[] {h}));
        }
        switch (a.qkNorm()) {
            case NONE -> { }
            case PER_HEAD -> {
                m.put(LayerTensor.Q_NORM_WEIGHT, new TensorRef(s + "q_norm.weight", new long[] {a.headDim()}));
                m.put(LayerTensor.K_NORM_WEIGHT, new TensorRef(s + "k_norm.weight", new long[] {a.headDim()}));
            }
            case PROJECTED -> {
                m.put(LayerTensor.Q_NORM_WEIGHT, new TensorRef(s + "q_norm.weight", new long[] {q}));
                m.put(LayerTensor.K_NORM_WEIGHT, new TensorRef(s + "k_norm.weight", new long[] {kv}));
            }
        }
    }

    private void latentAttention(String s, AttentionSpec.Latent a, Map<LayerTensor, WeightRef> m) {
        long h = spec.hiddenSize();
        long qOut = (long) a.numHeads() * a.qkHeadDim();
        if (a.qLoraRank().isPresent()) {
            long r = a.qLoraRank().getAsInt();
            m.put(LayerTensor.Q_A_WEIGHT, new TensorRef(s + "q_a_proj.weight", new long[] {r, h}));
            if (a.bias()) {
                m.put(LayerTensor.Q_A_BIAS, new TensorRef(s + "q_a_proj.bias", new long[] {r}));
            }
            m.put(LayerTensor.Q_A_NORM_WEIGHT, new TensorRef(s + "q_a_layernorm.weight", new long[] {r}));
            m.put(LayerTensor.Q_B_WEIGHT, new TensorRef(s + "q_b_proj.weight", new long[] {qOut, r}));
        } else {
            m.put(LayerTensor.Q_WEIGHT, new TensorRef(s + "q_proj.weight", new long[] {qOut, h}));
        }
        long kvA = (long) a.kvLoraRank() + a.qkRopeHeadDim();
        m.put(LayerTensor.KV_A_WEIGHT, new TensorRef(s + "kv_a_proj_with_mqa.weight", new long[] {kvA, h}));
        if (a.bias()) {
            m.put(LayerTensor.KV_A_BIAS, new TensorRef(s + "kv_a_proj_with_mqa.bias", new long[] {kvA}));
        }
        m.put(LayerTensor.KV_A_NORM_WEIGHT, new TensorRef(s + "kv_a_layernorm.weight", new long[] {a.kvLoraRank()}));
        m.put(LayerTensor.KV_B_WEIGHT, new TensorRef(s + "kv_b_proj.weight",
                new long[] {(long) a.numHeads() * (a.qkNopeHeadDim() + a.vHeadDim()), a.kvLoraRank()}));
        m.put(LayerTensor.O_WEIGHT, new TensorRef(s + "o_proj.weight", new long[] {h, a.outputWidth()}));
        if (a.bias()) {
            m.put(LayerTensor.O_BIAS, new TensorRef(s + "o_proj.bias", new long[] {h}));
        }
    }

    /** A dense MLP's tensors under {@code p} (e.g. {@code model.layers.3.mlp.}). */
    public void denseMlp(String p, MlpSpec.Dense d, Map<LayerTensor, WeightRef> m) {
        long h = spec.hiddenSize();
        long inter = d.intermediateSize();
        if (d.storage() == MlpSpec.MlpStorage.FUSED_GATE_UP) {
            m.put(LayerTensor.GATE_UP_WEIGHT, new TensorRef(p + "gate_up_proj.weight", new long[] {2 * inter, h}));
        } else {
            if (d.gated()) {
                m.put(LayerTensor.GATE_WEIGHT, new TensorRef(p + "gate_proj.weight", new long[] {inter, h}));
            }
            m.put(LayerTensor.UP_WEIGHT, new TensorRef(p + "up_proj.weight", new long[] {inter, h}));
        }
        m.put(LayerTensor.DOWN_WEIGHT, new TensorRef(p + "down_proj.weight", new long[] {h, inter}));
        if (d.bias()) {
            if (d.gated()) {
                m.put(LayerTensor.GATE_BIAS, new TensorRef(p + "gate_proj.bias", new long[] {inter}));
            }
            m.put(LayerTensor.UP_BIAS, new TensorRef(p + "up_proj.bias", new long[] {inter}));
            m.put(LayerTensor.DOWN_BIAS, new TensorRef(p + "down_proj.bias", new long[] {h}));
        }
    }

    /**
     * A mixture-of-experts layer's tensors: the router, every routed expert's three projections stacked over experts
     * (staged whole, so the forward slices an expert without a copy), and the shared expert if the layer has one.
     */
    private void moeMlp(String p, MlpSpec.Moe e, Map<LayerTensor, WeightRef> m) {
        long h = spec.hiddenSize();
        long inter = e.expertIntermediate();
        boolean mixtral = e.naming() == MlpSpec.ExpertNaming.MIXTRAL;
        String block = p + (mixtral ? "block_sparse_moe." : "mlp.");
        m.put(LayerTensor.ROUTER_WEIGHT, new TensorRef(block + "gate.weight", new long[] {e.experts(), h}));
        m.put(LayerTensor.EXPERTS_GATE_WEIGHT, experts(block, e, mixtral ? "w1" : "gate_proj", new long[] {inter, h}));
        m.put(LayerTensor.EXPERTS_UP_WEIGHT, experts(block, e, mixtral ? "w3" : "up_proj", new long[] {inter, h}));
        m.put(LayerTensor.EXPERTS_DOWN_WEIGHT, experts(block, e, mixtral ? "w2" : "down_proj", new long[] {h, inter}));
        e.shared().ifPresent(s -> {
            String module = s.sigmoidGate() ? "shared_expert." : "shared_experts.";
            denseMlp(block + module, s.asDense(e.activation()), m);
            if (s.sigmoidGate()) {
                m.put(LayerTensor.SHARED_EXPERT_GATE_WEIGHT, new TensorRef(block + "shared_expert_gate.weight", new long[] {1, h}));
            }
        });
    }

    private static StackedRef experts(String block, MlpSpec.Moe e, String projection, long[] shape) {
        List<TensorRef> parts = new ArrayList<>(e.experts());
        for (int x = 0; x < e.experts(); x++) {
            parts.add(new TensorRef(block + "experts." + x + "." + projection + ".weight", shape));
        }
        return new StackedRef(parts);
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
