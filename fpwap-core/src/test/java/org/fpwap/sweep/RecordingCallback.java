package org.fpwap.sweep;

import java.util.Set;
import org.fpwap.callback.Batch;
import org.fpwap.callback.Callback;
import org.fpwap.callback.CallbackAction;
import org.fpwap.callback.LayerSelection;
import org.fpwap.callback.Layers;
import org.fpwap.forward.Hook;

/** Test callback: emits every real token's activation at the hooks and layers it is given. */
record RecordingCallback(String name, LayerSelection layers, Set<Hook> hooks) implements Callback {

    static RecordingCallback everywhere() {
        return new RecordingCallback("record", Layers.all(), Set.of(Hook.values()));
    }

    @Override
    public CallbackAction onBatch(Batch batch) {
        return CallbackAction.Emit.perToken(batch.activations());
    }
}
