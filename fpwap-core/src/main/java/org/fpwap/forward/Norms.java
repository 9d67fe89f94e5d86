package org.fpwap.forward;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;
import org.fpwap.model.NormKind;

/** The normalisations, composed from DJL ops (DJL has no RMSNorm). */
final class Norms {

    private Norms() {}

    /**
     * Normalises over the last axis. For {@link NormKind#RMS_ONE_PLUS_WEIGHT} the loader has already
     * stored {@code 1 + w} (in FP32, as HF computes it), so both RMS kinds multiply by the stored weight.
     */
    static NDArray apply(NormKind kind, NDArray x, NDArray weight, NDArray bias, double eps) {
        return switch (kind) {
            case RMS, RMS_ONE_PLUS_WEIGHT -> rms(x, weight, eps);
            case LAYER_NORM -> LayerNorm.layerNorm(x, new Shape(x.getShape().get(x.getShape().dimension() - 1)),
                    weight, bias, (float) eps).singletonOrThrow();
        };
    }

    private static NDArray rms(NDArray x, NDArray weight, double eps) {
        NDArray meanSquare = x.square().mean(new int[] {-1}, true);
        NDArray inverseRms = meanSquare.add((float) eps).sqrt().pow(-1f);
        return x.mul(inverseRms).mul(weight);
    }
}
