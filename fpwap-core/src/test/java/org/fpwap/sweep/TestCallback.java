package org.fpwap.sweep;

import java.util.Set;
import java.util.function.Function;
import org.fpwap.callback.Batch;
import org.fpwap.callback.Callback;
import org.fpwap.callback.CallbackAction;
import org.fpwap.callback.LayerSelection;
import org.fpwap.callback.Phase;
import org.fpwap.forward.Hook;

/** Test callback whose every property is given: name, layers, hooks, phase, read-after-writes, and the body. */
record TestCallback(String name, LayerSelection layers, Set<Hook> hooks, Phase phase, boolean readsAfterWrites,
        Function<Batch, CallbackAction> body) implements Callback {

    static TestCallback read(String name, LayerSelection layers, Set<Hook> hooks, Function<Batch, CallbackAction> body) {
        return new TestCallback(name, layers, hooks, Phase.READ, false, body);
    }

    static TestCallback write(String name, LayerSelection layers, Set<Hook> hooks, Function<Batch, CallbackAction> body) {
        return new TestCallback(name, layers, hooks, Phase.WRITE, false, body);
    }

    /** A READ callback emitting every real token's activation. */
    static TestCallback recorder(String name, LayerSelection layers, Set<Hook> hooks, boolean afterWrites) {
        return new TestCallback(name, layers, hooks, Phase.READ, afterWrites, b -> CallbackAction.Emit.perToken(b.activations()));
    }

    @Override
    public CallbackAction onBatch(Batch batch) {
        return body.apply(batch);
    }
}
