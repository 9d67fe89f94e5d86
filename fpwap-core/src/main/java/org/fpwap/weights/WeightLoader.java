package org.fpwap.weights;

import static java.util.Objects.requireNonNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import org.fpwap.model.LayerTensor;
import org.fpwap.model.ModelSpec;
import org.fpwap.model.NormKind;
import org.fpwap.model.TensorNames;
import org.fpwap.model.TensorRef;
import org.fpwap.safetensors.Checkpoint;
import org.fpwap.safetensors.DType;
import org.fpwap.safetensors.TensorInfo;
import org.fpwap.safetensors.Widening;

/**
 * Turns checkpoint tensors into FP32 device tensors. F32 tensors on 4-byte-aligned offsets are wrapped
 * in place (zero copy on CPU); BF16 and F16 are widened exactly in Java into off-heap memory the
 * returned {@link LayerWeights} owns. DJL never sees a 16-bit float type (its JNI has no BF16).
 */
public final class WeightLoader {

    private final Checkpoint checkpoint;
    private final ModelSpec spec;
    private final TensorNames names;

    /** A loader for {@code spec}'s tensors in {@code checkpoint} (which the caller keeps open and closes). */
    public WeightLoader(Checkpoint checkpoint, ModelSpec spec) {
        this.checkpoint = requireNonNull(checkpoint, "checkpoint is null");
        this.spec = requireNonNull(spec, "spec is null");
        this.names = TensorNames.resolve(spec, checkpoint::contains);
    }

    /** The tensor naming this loader resolved (e.g. GPT-2 with or without {@code transformer.}). */
    public TensorNames names() {
        return names;
    }

    /** Loads block {@code layer}'s weights into a new sub-manager of {@code parent}. */
    public LayerWeights loadLayer(int layer, NDManager parent) {
        Map<LayerTensor, TensorRef> refs = names.layer(layer);
        NDManager manager = parent.newSubManager();
        Arena backing = Arena.ofShared();
        boolean success = false;
        try {
            Map<LayerTensor, NDArray> tensors = new EnumMap<>(LayerTensor.class);
            long bytes = 0;
            for (Map.Entry<LayerTensor, TensorRef> e : refs.entrySet()) {
                TensorRef ref = e.getValue();
                TensorInfo info = checked(ref, "layer " + layer);
                boolean onePlus = spec.norm() == NormKind.RMS_ONE_PLUS_WEIGHT
                        && (e.getKey() == LayerTensor.ATTN_NORM_WEIGHT || e.getKey() == LayerTensor.MLP_NORM_WEIGHT);
                tensors.put(e.getKey(), toDevice(ref, info, manager, backing, onePlus));
                bytes += info.byteLength();
            }
            LayerWeights weights = new LayerWeights(layer, tensors, manager, backing, bytes);
            success = true;
            return weights;
        } finally {
            if (!success) {
                manager.close();
                backing.close();
            }
        }
    }

    /** The final norm's weight and optional bias, in a new sub-manager of {@code parent} that the caller closes. */
    public NormWeights loadFinalNorm(NDManager parent) {
        Map<String, TensorRef> refs = names.finalNorm();
        NDManager manager = parent.newSubManager();
        Arena backing = Arena.ofShared();
        boolean success = false;
        try {
            boolean onePlus = spec.norm() == NormKind.RMS_ONE_PLUS_WEIGHT;
            TensorRef w = refs.get("weight");
            NDArray weight = toDevice(w, checked(w, "the final norm"), manager, backing, onePlus);
            NDArray bias = null;
            if (refs.containsKey("bias")) {
                TensorRef b = refs.get("bias");
                bias = toDevice(b, checked(b, "the final norm"), manager, backing, false);
            }
            NormWeights result = new NormWeights(weight, Optional.ofNullable(bias), manager, backing);
            success = true;
            return result;
        } finally {
            if (!success) {
                manager.close();
                backing.close();
            }
        }
    }

    /** The token embedding table, read lazily from the mapped checkpoint. */
    public EmbeddingTable tokenEmbedding() {
        return table(names.tokenEmbedding(), "the token embedding");
    }

    /** The learned position embedding table (GPT-2), if the family has one. */
    public Optional<EmbeddingTable> positionEmbedding() {
        return names.positionEmbedding().map(ref -> table(ref, "the position embedding"));
    }

    private EmbeddingTable table(TensorRef ref, String what) {
        TensorInfo info = checked(ref, what);
        long[] shape = ref.shape();
        return new EmbeddingTable(ref.name(), checkpoint.data(ref.name()), info.dtype(), (int) shape[0], (int) shape[1]);
    }

    /** Checks presence, dtype and shape of {@code ref}, naming the tensor and what it is for. */
    private TensorInfo checked(TensorRef ref, String owner) {
        if (!checkpoint.contains(ref.name())) {
            throw new WeightFormatException("tensor \"" + ref.name() + "\" (" + owner + ") is missing from the checkpoint "
                    + checkpoint.files() + "; expected shape " + Arrays.toString(ref.shape()));
        }
        TensorInfo info = checkpoint.info(ref.name());
        if (info.dtype() != DType.F32 && info.dtype() != DType.BF16 && info.dtype() != DType.F16) {
            throw new WeightFormatException("tensor \"" + ref.name() + "\" in " + checkpoint.fileOf(ref.name())
                    + " has dtype " + info.dtype() + "; expected F32, BF16 or F16");
        }
        if (!Arrays.equals(info.shape(), ref.shape())) {
            throw new WeightFormatException("tensor \"" + ref.name() + "\" in " + checkpoint.fileOf(ref.name())
                    + " has shape " + Arrays.toString(info.shape()) + "; config.json implies " + Arrays.toString(ref.shape()));
        }
        return info;
    }

    private NDArray toDevice(TensorRef ref, TensorInfo info, NDManager manager, Arena backing, boolean onePlusWeight) {
        MemorySegment src = checkpoint.data(ref.name());
        Shape shape = new Shape(ref.shape());
        long count = ref.elementCount();
        boolean wrapInPlace = info.dtype() == DType.F32 && !onePlusWeight && src.address() % Float.BYTES == 0;
        MemorySegment fp32 = src;
        if (!wrapInPlace) {
            fp32 = backing.allocate(count * Float.BYTES, 64);
            switch (info.dtype()) {
                case F32 -> Widening.f32Copy(src, 0, fp32, 0, count);
                case BF16 -> Widening.bf16ToF32(src, 0, fp32, 0, count);
                case F16 -> Widening.f16ToF32(src, 0, fp32, 0, count);
                default -> throw new IllegalStateException("unreachable: dtype checked above");
            }
            if (onePlusWeight) {
                addOne(fp32, count);
            }
        }
        return manager.create(fp32.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN), shape, DataType.FLOAT32);
    }

    /** Gemma stores norm weights as offsets from one; HF adds the one in FP32 at run time, as we do here once. */
    private static void addOne(MemorySegment fp32, long count) {
        for (long i = 0; i < count; i++) {
            long off = i * Float.BYTES;
            fp32.set(ValueLayout.JAVA_FLOAT_UNALIGNED, off, 1.0f + fp32.get(ValueLayout.JAVA_FLOAT_UNALIGNED, off));
        }
    }
}
