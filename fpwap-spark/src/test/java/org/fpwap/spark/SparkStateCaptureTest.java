package org.fpwap.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.fpwap.callback.Batch;
import org.fpwap.callback.Callback;
import org.fpwap.callback.CallbackAction;
import org.fpwap.callback.LayerSelection;
import org.fpwap.callback.Layers;
import org.fpwap.callback.OutputSize;
import org.fpwap.callbacks.IncrementalPCA;
import org.fpwap.callbacks.RawActivations;
import org.fpwap.forward.Hook;
import org.junit.jupiter.api.Test;

/** The shard's wrapper keeps what the shard's preflight reads: a callback's declared output size. */
class SparkStateCaptureTest {

    private static final OutputSize.Extent EXTENT = new OutputSize.Extent(64, 10, 123, 2);

    @Test
    void aWrappedCallbackThatDeclaresItsOutputSizeKeepsItsFootprint() {
        for (Callback inner : java.util.List.<Callback>of(RawActivations.at(Layers.of(1)),
                IncrementalPCA.at(Layers.of(1)).components(3))) {
            Callback wrapped = StateCapture.of(inner);
            assertTrue(wrapped instanceof OutputSize, inner.name() + " is an OutputSize, so its wrapper must be one");
            assertEquals(((OutputSize) inner).footprint(EXTENT), ((OutputSize) wrapped).footprint(EXTENT), inner.name());
        }
    }

    @Test
    void aWrappedCallbackWithoutADeclaredSizeStaysUndeclared() {
        Callback plain = new Callback() {
            @Override
            public LayerSelection layers() {
                return Layers.of(0);
            }

            @Override
            public Set<Hook> hooks() {
                return Set.of(Hook.RESIDUAL_POST);
            }

            @Override
            public CallbackAction onBatch(Batch batch) {
                return CallbackAction.nothing();
            }
        };
        assertFalse(StateCapture.of(plain) instanceof OutputSize);
    }
}
