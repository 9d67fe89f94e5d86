package org.fpwap.forward;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import org.fpwap.model.LayerTensor;
import org.fpwap.model.MlpSpec;
import org.fpwap.weights.LayerWeights;

/**
 * A dense feed-forward sub-layer: {@code down(act(gate x) · up x)} when gated (separate projections or
 * Phi-3's fused {@code gate_up_proj}, gate rows first), {@code down(act(up x))} otherwise (GPT-2's Conv1D).
 * Also the per-expert computation of mixture-of-experts layers.
 */
final class DenseMlp {

    private DenseMlp() {}

    /** The MLP output {@code [.., H]} for input {@code x} {@code [.., H]} (already normalised when pre-norms apply). */
    static NDArray apply(MlpSpec.Dense d, LayerWeights w, NDArray x) {
        boolean conv1d = d.storage() == MlpSpec.MlpStorage.CONV1D;
        NDArray inner;
        if (d.storage() == MlpSpec.MlpStorage.FUSED_GATE_UP) {
            NDArray fused = Projection.apply(x, w.get(LayerTensor.GATE_UP_WEIGHT), null, false);
            NDList gateUp = fused.split(new long[] {d.intermediateSize()}, fused.getShape().dimension() - 1);
            inner = Activations.apply(d.activation(), gateUp.get(0)).mul(gateUp.get(1));
        } else if (d.gated()) {
            NDArray gate = Activations.apply(d.activation(), project(x, w, LayerTensor.GATE_WEIGHT, LayerTensor.GATE_BIAS, false));
            inner = gate.mul(project(x, w, LayerTensor.UP_WEIGHT, LayerTensor.UP_BIAS, false));
        } else {
            inner = Activations.apply(d.activation(), project(x, w, LayerTensor.UP_WEIGHT, LayerTensor.UP_BIAS, conv1d));
        }
        return project(inner, w, LayerTensor.DOWN_WEIGHT, LayerTensor.DOWN_BIAS, conv1d);
    }

    private static NDArray project(NDArray x, LayerWeights w, LayerTensor weight, LayerTensor bias, boolean conv1d) {
        return Projection.apply(x, w.get(weight), w.find(bias).orElse(null), conv1d);
    }
}
