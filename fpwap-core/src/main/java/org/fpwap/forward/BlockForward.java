package org.fpwap.forward;

import static java.util.Objects.requireNonNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import org.fpwap.model.LayerTensor;
import org.fpwap.model.ModelFamily;
import org.fpwap.model.ModelSpec;
import org.fpwap.weights.LayerWeights;

/**
 * One transformer block in FP32 for every supported family: pre-norm attention and MLP sub-layers,
 * each added to the residual stream, with the four hooks between them. Every projection is a
 * single GEMM over all {@code B × T} slots of the microbatch.
 */
public final class BlockForward {

    private final ModelSpec spec;
    private final boolean conv1d;
    private final long scoreBudgetBytes;

    /** A block forward for {@code spec} with the default attention score budget. */
    public BlockForward(ModelSpec spec) {
        this(spec, Attention.SCORE_BUDGET_BYTES);
    }

    /** A block forward whose attention chunks queries so no score tensor exceeds {@code scoreBudgetBytes}. */
    public BlockForward(ModelSpec spec, long scoreBudgetBytes) {
        this.spec = requireNonNull(spec, "spec is null");
        this.conv1d = spec.family() == ModelFamily.GPT2;
        this.scoreBudgetBytes = scoreBudgetBytes;
    }

    /**
     * Runs block {@code w.layer()} on {@code hidden} {@code [B, T, H]}. Intermediates live in a scope
     * closed before returning; the result is attached to {@code hidden}'s manager.
     */
    public NDArray forward(LayerWeights w, NDArray hidden, ForwardContext ctx, HookHandler hooks) {
        NDManager owner = hidden.getManager();
        try (NDManager scope = owner.newSubManager()) {
            hidden.tempAttach(scope);
            // Slices of the shared mask would otherwise attach to the microbatch's manager and pile up.
            ctx.mask().tempAttach(scope);
            int layer = w.layer();
            NDArray x = hooks.at(layer, Hook.RESIDUAL_PRE, hidden);
            NDArray attnOut = hooks.at(layer, Hook.ATTN_OUT, attention(w, x, ctx));
            NDArray mid = x.add(attnOut);
            NDArray mlpOut = hooks.at(layer, Hook.MLP_OUT, mlp(w, mid));
            NDArray out = hooks.at(layer, Hook.RESIDUAL_POST, mid.add(mlpOut));
            if (out == hidden) {
                out = out.duplicate();
            }
            out.attach(owner);
            return out;
        }
    }

    private NDArray attention(LayerWeights w, NDArray x, ForwardContext ctx) {
        NDArray normed = Norms.apply(spec.norm(), x, w.get(LayerTensor.ATTN_NORM_WEIGHT),
                w.find(LayerTensor.ATTN_NORM_BIAS).orElse(null), spec.normEps());
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        long d = spec.headDim();
        NDArray q;
        NDArray k;
        NDArray v;
        if (conv1d) {
            NDList qkv = Projection.apply(normed, w.get(LayerTensor.QKV_WEIGHT), w.get(LayerTensor.QKV_BIAS), true)
                    .split(3, 2);
            q = qkv.get(0);
            k = qkv.get(1);
            v = qkv.get(2);
        } else {
            q = project(normed, w, LayerTensor.Q_WEIGHT, LayerTensor.Q_BIAS);
            k = project(normed, w, LayerTensor.K_WEIGHT, LayerTensor.K_BIAS);
            v = project(normed, w, LayerTensor.V_WEIGHT, LayerTensor.V_BIAS);
        }
        q = q.reshape(b, t, spec.numHeads(), d);
        k = k.reshape(b, t, spec.numKvHeads(), d);
        v = v.reshape(b, t, spec.numKvHeads(), d);
        if (ctx.ropeCos().isPresent()) {
            q = Rope.apply(q, ctx.ropeCos().get(), ctx.ropeSin().orElseThrow());
            k = Rope.apply(k, ctx.ropeCos().get(), ctx.ropeSin().orElseThrow());
        }
        NDArray heads = Attention.apply(spec, q, k, v, ctx.mask(), scoreBudgetBytes);
        return project(heads, w, LayerTensor.O_WEIGHT, LayerTensor.O_BIAS);
    }

    private NDArray mlp(LayerWeights w, NDArray x) {
        NDArray normed = Norms.apply(spec.norm(), x, w.get(LayerTensor.MLP_NORM_WEIGHT),
                w.find(LayerTensor.MLP_NORM_BIAS).orElse(null), spec.normEps());
        NDArray inner;
        if (spec.gatedMlp()) {
            NDArray gate = Activations.apply(spec.activation(), project(normed, w, LayerTensor.GATE_WEIGHT, LayerTensor.GATE_BIAS));
            inner = gate.mul(project(normed, w, LayerTensor.UP_WEIGHT, LayerTensor.UP_BIAS));
        } else {
            inner = Activations.apply(spec.activation(), project(normed, w, LayerTensor.UP_WEIGHT, LayerTensor.UP_BIAS));
        }
        return project(inner, w, LayerTensor.DOWN_WEIGHT, LayerTensor.DOWN_BIAS);
    }

    private NDArray project(NDArray x, LayerWeights w, LayerTensor weight, LayerTensor bias) {
        return Projection.apply(x, w.get(weight), w.find(bias).orElse(null), conv1d);
    }
}
