package org.fpwap.forward;

import ai.djl.ndarray.NDArray;

/**
 * Receives the activation at each hook of a block and returns the tensor the forward continues
 * with: the same one to observe, a replacement to write back. The argument is only valid during
 * the call (it belongs to the block's scratch scope); copy what must outlive it.
 */
@FunctionalInterface
public interface HookHandler {

    /** Observes nothing, replaces nothing. */
    HookHandler NONE = (layer, hook, activation) -> activation;

    /**
     * @param layer the block index
     * @param hook where in the block
     * @param activation {@code [B, T, H]} FP32 on the compute device
     * @return the activation to continue with, {@code [B, T, H]}
     */
    NDArray at(int layer, Hook hook, NDArray activation);

    /**
     * Receives a mixture-of-experts layer's routing for the microbatch, after the router ran and before the layer's
     * {@code mlp_out} hook. Ignored unless overridden.
     */
    default void routed(int layer, ExpertRouting routing) {}

    /** A handler whose hooks are {@code hooks}' and whose routing goes to {@code routingTarget} (for wrappers). */
    static HookHandler routingTo(HookHandler routingTarget, HookHandler hooks) {
        return new HookHandler() {
            @Override
            public NDArray at(int layer, Hook hook, NDArray activation) {
                return hooks.at(layer, hook, activation);
            }

            @Override
            public void routed(int layer, ExpertRouting routing) {
                routingTarget.routed(layer, routing);
            }
        };
    }
}
