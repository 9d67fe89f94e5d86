package org.fpwap.forward;

import static java.util.Objects.requireNonNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.function.UnaryOperator;
import org.fpwap.model.AttentionSpec;
import org.fpwap.model.LayerSpec;
import org.fpwap.model.LayerTensor;
import org.fpwap.model.MlpSpec;
import org.fpwap.model.ModelSpec;
import org.fpwap.weights.LayerWeights;

/**
 * One transformer block in FP32, composed from the layer's {@link LayerSpec}: norms where the family puts
 * them (before, around or after each sub-layer), the layer's attention op and its MLP op, each sub-layer's
 * output added to the residual stream, with the four hooks between them. {@code attn_out}/{@code mlp_out}
 * are exactly what the sub-layers add (after any post-norm). No family is named here: families differ only
 * through their layer specs.
 */
public final class BlockForward {

    private final ModelSpec spec;
    private final long scoreBudgetBytes;

    /** A block forward for {@code spec} with the default attention score budget. */
    public BlockForward(ModelSpec spec) {
        this(spec, Attention.SCORE_BUDGET_BYTES);
    }

    /** A block forward whose attention chunks queries so no score tensor exceeds {@code scoreBudgetBytes}. */
    public BlockForward(ModelSpec spec, long scoreBudgetBytes) {
        this.spec = requireNonNull(spec, "spec is null");
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
            int layer = w.layer();
            LayerSpec ls = spec.layer(layer);
            // Slices of the shared mask and tables would otherwise attach to the microbatch's manager and pile up.
            ctx.mask(ls.attention().slidingWindow()).tempAttach(scope);
            ls.attention().rope().ifPresent(r -> {
                ctx.rope(r).cos().tempAttach(scope);
                ctx.rope(r).sin().tempAttach(scope);
            });
            boolean pre = ls.norms().hasPreNorms();
            boolean post = ls.norms().hasPostNorms();
            NDArray x = hooks.at(layer, Hook.RESIDUAL_PRE, hidden);
            NDArray attn = subLayer(scope, x, in -> {
                NDArray attnIn = pre ? norm(w, LayerTensor.ATTN_NORM_WEIGHT, LayerTensor.ATTN_NORM_BIAS, in) : in;
                NDArray a = attention(ls.attention(), w, attnIn, ctx);
                return post ? norm(w, LayerTensor.POST_ATTN_NORM_WEIGHT, null, a) : a;
            });
            NDArray attnOut = hooks.at(layer, Hook.ATTN_OUT, attn);
            NDArray mid = x.add(attnOut);
            NDArray mlp = subLayer(scope, mid, in -> {
                NDArray mlpIn = pre ? norm(w, LayerTensor.MLP_NORM_WEIGHT, LayerTensor.MLP_NORM_BIAS, in) : in;
                NDArray m = mlp(ls.mlp(), w, mlpIn, ctx, hooks);
                return post ? norm(w, LayerTensor.POST_MLP_NORM_WEIGHT, null, m) : m;
            });
            NDArray mlpOut = hooks.at(layer, Hook.MLP_OUT, mlp);
            NDArray out = hooks.at(layer, Hook.RESIDUAL_POST, mid.add(mlpOut));
            if (out == hidden) {
                out = out.duplicate();
            }
            out.attach(owner);
            return out;
        }
    }

    /**
     * Runs one sub-layer on {@code input} in a scope of its own and keeps only its output (in {@code owner}):
     * the projections, scores and activations inside are freed before the next sub-layer allocates its own, so
     * a block's peak working set is its larger sub-layer's, not the sum of both.
     */
    private static NDArray subLayer(NDManager owner, NDArray input, UnaryOperator<NDArray> body) {
        try (NDManager sub = owner.newSubManager()) {
            // Results attach to their first operand's manager, so the body works on a second handle of the input
            // owned by the sub-scope (a view: no copy); the input itself stays where it was.
            NDArray in = input.reshape(input.getShape());
            in.attach(sub);
            NDArray out = body.apply(in);
            out.attach(owner);
            return out;
        }
    }

    private NDArray attention(AttentionSpec a, LayerWeights w, NDArray x, ForwardContext ctx) {
        return switch (a) {
            case AttentionSpec.Standard s -> StandardAttention.apply(s, w, x, ctx, spec.norm(), spec.normEps(), scoreBudgetBytes);
            case AttentionSpec.Latent l -> LatentAttention.apply(l, w, x, ctx, scoreBudgetBytes);
        };
    }

    private NDArray mlp(MlpSpec m, LayerWeights w, NDArray x, ForwardContext ctx, HookHandler hooks) {
        return switch (m) {
            case MlpSpec.Dense d -> DenseMlp.apply(d, w, x);
            case MlpSpec.Moe e -> MoeMlp.apply(e, w, x, ctx.realTokens(), w.layer(), hooks);
        };
    }

    private NDArray norm(LayerWeights w, LayerTensor weight, LayerTensor bias, NDArray x) {
        return Norms.apply(spec.norm(), x, w.get(weight), bias == null ? null : w.find(bias).orElse(null), spec.normEps());
    }
}
