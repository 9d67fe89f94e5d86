package org.fpwap.callbacks;

import static java.util.Objects.requireNonNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.fpwap.callback.Batch;
import org.fpwap.callback.Callback;
import org.fpwap.callback.CallbackAction;
import org.fpwap.callback.CallbackState;
import org.fpwap.callback.LayerSelection;
import org.fpwap.callback.OutputSize;
import org.fpwap.callback.Phase;
import org.fpwap.callback.SweepInfo;
import org.fpwap.forward.Hook;
import org.fpwap.forward.Microbatch;

/**
 * Steers the residual stream along a direction ({@link Phase#WRITE}): at the selected layers and hook
 * ({@code residual_post} by default) it replaces the activation at the chosen positions, every real token
 * or each sample's last real token, leaving pad positions and the other tokens bit-identical.
 *
 * <ul>
 *   <li>{@link Mode#ADD}: {@code x + α·v}, with {@code α·v} formed in FP32 as {@code alpha * v[h]} (after
 *       {@code v ← v/‖v‖} when {@link #normalize(boolean) normalised}, computed in FP64 and rounded);
 *   <li>{@link Mode#ABLATE}: {@code x − (x·v̂)v̂} with {@code v̂ = v/‖v‖}, removing the component along
 *       {@code v} ({@code alpha} is not used).
 * </ul>
 *
 * <p>The vector is read at sweep start ({@link SteeringVector#load()}) and checked against the model's
 * hidden size. The write is a deterministic function of the batch, as the sweep's verify mode requires.
 *
 * <pre>{@code SteerInBasis.at(Layers.of(20), SteeringVector.fromFile(pcaFile, "components", 0)).alpha(8f)}</pre>
 */
public final class SteerInBasis implements Callback, OutputSize {

    /** What is done to the activation. */
    public enum Mode {
        /** {@code x + α·v}. */
        ADD,
        /** {@code x − (x·v̂)v̂}. */
        ABLATE;

        /** The lower-case name used on the command line. */
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Which real tokens are changed. */
    public enum Positions {
        /** Every real token. */
        ALL,
        /** Each sample's last real token only. */
        LAST;

        /** The lower-case name used on the command line. */
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final LayerSelection layers;
    private final SteeringVector source;
    private final Hook hook;
    private final Mode mode;
    private final float alpha;
    private final Positions positions;
    private final boolean normalize;
    private final String name;

    /** {@code α·v} (ADD) or {@code v̂} (ABLATE), set at sweep start. */
    private float[] direction;

    private SteerInBasis(LayerSelection layers, SteeringVector source, Hook hook, Mode mode, float alpha, Positions positions,
            boolean normalize, String name) {
        this.layers = requireNonNull(layers, "layers is null");
        this.source = requireNonNull(source, "source is null");
        this.hook = requireNonNull(hook, "hook is null");
        this.mode = requireNonNull(mode, "mode is null");
        this.positions = requireNonNull(positions, "positions is null");
        this.name = requireNonNull(name, "name is null");
        if (!Float.isFinite(alpha)) {
            throw new IllegalArgumentException("alpha must be finite, got " + alpha);
        }
        this.alpha = alpha;
        this.normalize = normalize;
    }

    /** Adds {@code 1·v} at every real token of {@code residual_post} at {@code layers}. */
    public static SteerInBasis at(LayerSelection layers, SteeringVector v) {
        return new SteerInBasis(layers, v, Hook.RESIDUAL_POST, Mode.ADD, 1f, Positions.ALL, false, "SteerInBasis");
    }

    /** The same with mode {@link Mode#ADD} and scale {@code a}. */
    public SteerInBasis alpha(float a) {
        return new SteerInBasis(layers, source, hook, Mode.ADD, a, positions, normalize, name);
    }

    /** The same with mode {@link Mode#ABLATE}. */
    public SteerInBasis ablate() {
        return mode(Mode.ABLATE);
    }

    /** The same with mode {@code m}. */
    public SteerInBasis mode(Mode m) {
        return new SteerInBasis(layers, source, hook, m, alpha, positions, normalize, name);
    }

    /** The same at hook {@code h}. */
    public SteerInBasis hook(Hook h) {
        return new SteerInBasis(layers, source, h, mode, alpha, positions, normalize, name);
    }

    /** The same, changing {@code p} positions. */
    public SteerInBasis positions(Positions p) {
        return new SteerInBasis(layers, source, hook, mode, alpha, p, normalize, name);
    }

    /** The same, scaling {@code v} to unit length before {@code α} when {@code unit} (ADD mode; ABLATE always does). */
    public SteerInBasis normalize(boolean unit) {
        return new SteerInBasis(layers, source, hook, mode, alpha, positions, unit, name);
    }

    /** The same under another name (to run two in one sweep). */
    public SteerInBasis named(String newName) {
        return new SteerInBasis(layers, source, hook, mode, alpha, positions, normalize, newName);
    }

    /** Where the vector comes from. */
    public SteeringVector source() {
        return source;
    }

    /** The mode. */
    public Mode mode() {
        return mode;
    }

    /** The scale (ADD mode). */
    public float alpha() {
        return alpha;
    }

    /** The positions changed. */
    public Positions positions() {
        return positions;
    }

    /** Whether {@code v} is normalised before scaling. */
    public boolean normalized() {
        return normalize;
    }

    /** The hook steered. */
    public Hook hook() {
        return hook;
    }

    @Override
    public LayerSelection layers() {
        return layers;
    }

    @Override
    public Set<Hook> hooks() {
        return Set.of(hook);
    }

    @Override
    public Phase phase() {
        return Phase.WRITE;
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * None to save: the direction is derived from the source at every sweep start (a resumed one included),
     * and {@link #settings()} carries the vector's digest so a changed file refuses the resume.
     */
    @Override
    public Optional<CallbackState> state() {
        return Optional.of(CallbackState.none());
    }

    @Override
    public String settings() {
        return "mode=" + mode.wireName() + " alpha=" + Float.floatToIntBits(alpha) + " positions=" + positions.wireName()
                + " normalize=" + normalize + " vector=" + source.describe() + "#" + Integer.toHexString(Arrays.hashCode(source.load()));
    }

    @Override
    public void onSweepStart(SweepInfo info) {
        float[] v = source.load();
        int h = info.model().hiddenSize();
        if (v.length != h) {
            throw new IllegalArgumentException(name + ": the steering vector from " + source.describe() + " has " + v.length
                    + " values but the model's hidden size is " + h);
        }
        for (int j = 0; j < v.length; j++) {
            if (!Float.isFinite(v[j])) {
                throw new IllegalArgumentException(name + ": the steering vector from " + source.describe() + " has "
                        + v[j] + " at index " + j);
            }
        }
        boolean unit = normalize || mode == Mode.ABLATE;
        if (unit) {
            v = unit(v);
        }
        if (mode == Mode.ADD) {
            for (int j = 0; j < v.length; j++) {
                v[j] = alpha * v[j];
            }
        }
        direction = v;
    }

    private float[] unit(float[] v) {
        double norm = 0;
        for (float x : v) {
            norm += (double) x * x;
        }
        norm = Math.sqrt(norm);
        if (norm == 0) {
            throw new IllegalArgumentException(name + ": the steering vector from " + source.describe()
                    + " is zero and cannot be normalised");
        }
        float[] u = new float[v.length];
        for (int j = 0; j < v.length; j++) {
            u[j] = (float) (v[j] / norm);
        }
        return u;
    }

    /**
     * The vector actually applied: {@code α·v} (ADD) or {@code v̂} (ABLATE), as FP32; available after sweep start.
     */
    public float[] appliedVector() {
        if (direction == null) {
            throw new IllegalStateException(name + ": the steering vector is read at sweep start");
        }
        return direction.clone();
    }

    @Override
    public CallbackAction onBatch(Batch batch) {
        if (direction == null) {
            throw new IllegalStateException(name + ": onBatch before onSweepStart");
        }
        NDArray acts = batch.activations();
        NDManager manager = batch.manager();
        Microbatch mb = batch.microbatch();
        int width = mb.width();
        boolean[] selected = new boolean[mb.size() * width];
        for (int b = 0; b < mb.size(); b++) {
            int first = b * width + mb.offset(b);
            int from = positions == Positions.LAST ? first + mb.length(b) - 1 : first;
            for (int i = from; i < first + mb.length(b); i++) {
                selected[i] = true;
            }
        }
        NDArray mask = manager.create(selected, new Shape(mb.size(), width, 1)).broadcast(acts.getShape());
        NDArray v = manager.create(direction);
        NDArray changed = switch (mode) {
            case ADD -> acts.add(v);
            case ABLATE -> acts.sub(acts.matMul(v.reshape(direction.length, 1)).mul(v));
        };
        return new CallbackAction.WriteBack(NDArrays.where(mask, changed, acts));
    }

    /** Steering changes activations in flight and writes nothing. */
    @Override
    public Footprint footprint(OutputSize.Extent extent) {
        return Footprint.none();
    }
}
