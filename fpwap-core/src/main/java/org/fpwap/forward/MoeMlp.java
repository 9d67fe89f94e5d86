package org.fpwap.forward;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import org.fpwap.model.LayerTensor;
import org.fpwap.model.MlpSpec;
import org.fpwap.weights.LayerWeights;

/**
 * A mixture-of-experts feed-forward sub-layer. The router's softmax runs on the device; the top-k choice on the host
 * ({@link ExpertRouter}); then each expert with at least one token gathers exactly its tokens and runs them through
 * its own three projections (one GEMM per projection per expert, never a dense all-expert GEMM), weights the outputs
 * and scatters them back; the per-token sum over its chosen experts is taken in slot order, and the shared expert's
 * output (sigmoid-gated for Qwen2-MoE) is added last, as HF does. Pad tokens are routed (their routing is reported
 * like any other) but run through no expert: their routed output is zero. Otherwise the pads' values, which differ
 * between the streaming and the naive schedule, would change how many rows each expert's GEMM has, and with it the
 * real tokens' rounding.
 */
final class MoeMlp {

    private MoeMlp() {}

    /**
     * @param x the sub-layer input {@code [B, T, H]} (normalised), its manager the block's scratch scope
     * @param real which token slots of {@code x} (flattened {@code [B·T]}) are real tokens
     * @param layer the block, for {@link HookHandler#routed}
     * @return the MLP output {@code [B, T, H]}
     */
    static NDArray apply(MlpSpec.Moe moe, LayerWeights w, NDArray x, boolean[] real, int layer, HookHandler hooks) {
        Shape shape = x.getShape();
        long h = shape.get(shape.dimension() - 1);
        NDManager scope = x.getManager();
        NDArray flat = x.reshape(-1, h);
        int tokens = Math.toIntExact(flat.getShape().get(0));
        int k = moe.topK();
        NDArray probs = Linear.linear(flat, w.get(LayerTensor.ROUTER_WEIGHT), null).singletonOrThrow().softmax(-1);
        ExpertRouter.Choice choice = ExpertRouter.route(moe, probs.toFloatArray(), tokens);
        if (shape.dimension() == 3) {
            hooks.routed(layer, new ExpertRouting((int) shape.get(0), (int) shape.get(1), k, choice.experts(), choice.weights()));
        }
        // Real tokens' assignments (token, slot) grouped by expert; `position` maps each assignment to its row in the
        // grouped output, and every pad assignment to one extra zero row after them.
        int assignments = tokens * k;
        int[] count = new int[moe.experts() + 1];
        for (int a = 0; a < assignments; a++) {
            if (real[a / k]) {
                count[choice.experts()[a] + 1]++;
            }
        }
        for (int e = 0; e < moe.experts(); e++) {
            count[e + 1] += count[e];
        }
        int routedRows = count[moe.experts()];
        int[] next = count.clone();
        long[] tokenOf = new long[routedRows];
        float[] weightOf = new float[routedRows];
        long[] position = new long[assignments];
        for (int a = 0; a < assignments; a++) {
            if (!real[a / k]) {
                position[a] = routedRows;
                continue;
            }
            int p = next[choice.experts()[a]]++;
            tokenOf[p] = a / k;
            weightOf[p] = choice.weights()[a];
            position[a] = p;
        }
        NDArray gates = w.get(LayerTensor.EXPERTS_GATE_WEIGHT);
        NDArray ups = w.get(LayerTensor.EXPERTS_UP_WEIGHT);
        NDArray downs = w.get(LayerTensor.EXPERTS_DOWN_WEIGHT);
        NDList outputs = new NDList();
        for (int e = 0; e < moe.experts(); e++) {
            int from = count[e];
            int to = count[e + 1];
            if (from == to) {
                continue;
            }
            NDArray rows = flat.get(index(scope, java.util.Arrays.copyOfRange(tokenOf, from, to)));
            NDArray gate = expertSlice(gates, e, scope);
            NDArray up = expertSlice(ups, e, scope);
            NDArray down = expertSlice(downs, e, scope);
            NDArray inner = Activations.apply(moe.activation(), Linear.linear(rows, gate, null).singletonOrThrow())
                    .mul(Linear.linear(rows, up, null).singletonOrThrow());
            NDArray out = Linear.linear(inner, down, null).singletonOrThrow();
            NDArray routeWeights = scope.create(java.util.Arrays.copyOfRange(weightOf, from, to), new Shape(to - from, 1));
            outputs.add(out.mul(routeWeights));
        }
        outputs.add(scope.zeros(new Shape(1, h)));
        NDArray grouped = NDArrays.concat(outputs, 0);
        NDArray routed = grouped.get(index(scope, position)).reshape(tokens, k, h).sum(new int[] {1});
        if (moe.shared().isPresent()) {
            MlpSpec.SharedExpert s = moe.shared().get();
            NDArray shared = DenseMlp.apply(s.asDense(moe.activation()), w, flat);
            if (s.sigmoidGate()) {
                NDArray gate = Linear.linear(flat, w.get(LayerTensor.SHARED_EXPERT_GATE_WEIGHT), null).singletonOrThrow();
                shared = shared.mul(ai.djl.nn.Activation.sigmoid(gate));
            }
            routed = routed.add(shared);
        }
        return routed.reshape(shape);
    }

    /** Expert {@code e}'s matrix of a stacked {@code [E, out, in]} weight: a view, owned by the scratch scope. */
    private static NDArray expertSlice(NDArray stacked, int e, NDManager scope) {
        NDArray slice = stacked.get(e);
        slice.attach(scope);
        return slice;
    }

    private static NDArray index(NDManager scope, long[] rows) {
        return scope.create(rows).toType(DataType.INT64, false);
    }
}
