package org.fpwap.weights;

import static java.util.Objects.requireNonNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import org.fpwap.device.DeviceTransfer;
import org.fpwap.model.LayerTensor;
import org.fpwap.model.ModelSpec;
import org.fpwap.model.NormKind;
import org.fpwap.model.TensorNames;
import org.fpwap.model.TensorRef;
import org.fpwap.model.WeightRef;
import org.fpwap.safetensors.Checkpoint;
import org.fpwap.safetensors.DType;
import org.fpwap.safetensors.TensorInfo;
import org.fpwap.safetensors.Widening;

/**
 * Turns checkpoint tensors into FP32 device tensors in two steps: {@link #stage} decodes a block's
 * tensors into an FP32 buffer (exact widening of BF16/F16 in Java; pure memory work, safe on a prefetch
 * thread), and {@link #wrap} makes device tensors of that buffer (zero copy on CPU). DJL never sees a
 * 16-bit float type (its JNI has no BF16).
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

    /** The FP32 staging layout of block {@code layer}. */
    public LayerLayout layout(int layer) {
        return LayerLayout.of(layer, names.layer(layer));
    }

    /** The largest block's staging bytes: what a reusable staging slot must hold. */
    public long largestLayoutBytes() {
        long max = 0;
        for (int l = 0; l < spec.numLayers(); l++) {
            max = Math.max(max, layout(l).bytes());
        }
        return max;
    }

    /**
     * Loads block {@code layer}'s weights into memory this call allocates and the returned weights own
     * (the simple path: no prefetch, no reused staging).
     */
    public LayerWeights loadLayer(int layer, NDManager parent) {
        LayerLayout layout = layout(layer);
        Arena arena = Arena.ofShared();
        boolean success = false;
        try {
            MemorySegment buffer = arena.allocate(Math.max(1, layout.bytes()), LayerLayout.ALIGNMENT);
            long bytes = stage(layout, buffer);
            LayerWeights weights = wrap(layout, buffer, bytes, parent, arena);
            success = true;
            return weights;
        } finally {
            if (!success) {
                arena.close();
            }
        }
    }

    /**
     * Reads block {@code layout.layer()}'s tensors from the checkpoint and decodes them to FP32 into
     * {@code buffer} (at least {@code layout.bytes()} long). Pure Java, no DJL: safe on a worker thread.
     *
     * @return the checkpoint bytes read
     */
    public long stage(LayerLayout layout, MemorySegment buffer) {
        if (buffer.byteSize() < layout.bytes()) {
            throw new IllegalArgumentException("staging buffer of " + buffer.byteSize() + " bytes cannot hold layer "
                    + layout.layer() + " (" + layout.bytes() + " bytes)");
        }
        long bytes = 0;
        for (Map.Entry<LayerTensor, WeightRef> e : layout.refs().entrySet()) {
            boolean onePlus = spec.norm() == NormKind.RMS_ONE_PLUS_WEIGHT && e.getKey().isNormWeight();
            long offset = layout.offsets().get(e.getKey());
            for (TensorRef part : e.getValue().parts()) {
                TensorInfo info = checked(part, "layer " + layout.layer());
                long length = part.elementCount() * Float.BYTES;
                decode(part, info, buffer.asSlice(offset, length), onePlus);
                offset += length;
                bytes += info.byteLength();
            }
        }
        return bytes;
    }

    /**
     * Wraps a staged buffer as device tensors in a new sub-manager of {@code parent}. On CPU the tensors
     * point into {@code buffer} (no copy); elsewhere they are uploaded. {@code release} runs when the
     * returned weights are closed, after their tensors are freed.
     */
    public LayerWeights wrap(LayerLayout layout, MemorySegment buffer, long bytesRead, NDManager parent, AutoCloseable release) {
        NDManager manager = parent.newSubManager();
        boolean success = false;
        try {
            Map<LayerTensor, NDArray> tensors = new EnumMap<>(LayerTensor.class);
            for (Map.Entry<LayerTensor, WeightRef> e : layout.refs().entrySet()) {
                WeightRef ref = e.getValue();
                MemorySegment fp32 = buffer.asSlice(layout.offsets().get(e.getKey()), ref.elementCount() * Float.BYTES);
                tensors.put(e.getKey(), create(manager, fp32, ref));
            }
            LayerWeights weights = new LayerWeights(layout.layer(), tensors, manager, release, bytesRead);
            success = true;
            return weights;
        } finally {
            if (!success) {
                manager.close();
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
            NDArray weight = null;
            NDArray bias = null;
            for (Map.Entry<String, TensorRef> e : refs.entrySet()) {
                TensorRef ref = e.getValue();
                boolean isWeight = e.getKey().equals("weight");
                MemorySegment fp32 = backing.allocate(ref.elementCount() * Float.BYTES, LayerLayout.ALIGNMENT);
                decode(ref, checked(ref, "the final norm"), fp32, isWeight && spec.norm() == NormKind.RMS_ONE_PLUS_WEIGHT);
                NDArray array = create(manager, fp32, ref);
                if (isWeight) {
                    weight = array;
                } else {
                    bias = array;
                }
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

    /** Decodes one checkpoint tensor to FP32 into {@code dst} (exact widening for BF16/F16). */
    private void decode(TensorRef ref, TensorInfo info, MemorySegment dst, boolean onePlusWeight) {
        MemorySegment src = checkpoint.data(ref.name());
        long count = ref.elementCount();
        switch (info.dtype()) {
            case F32 -> Widening.f32Copy(src, 0, dst, 0, count);
            case BF16 -> Widening.bf16ToF32(src, 0, dst, 0, count);
            case F16 -> Widening.f16ToF32(src, 0, dst, 0, count);
            default -> throw new IllegalStateException("unreachable: dtype checked before decoding");
        }
        long bad = Finiteness.firstNonFinite(dst, count);
        if (bad >= 0) {
            throw new WeightFormatException("tensor \"" + ref.name() + "\" in " + checkpoint.fileOf(ref.name()) + " holds "
                    + dst.get(ValueLayout.JAVA_FLOAT_UNALIGNED, bad * Float.BYTES) + " at element " + bad + " of "
                    + Arrays.toString(ref.shape()) + "; the weights must be finite (a corrupt file, or one saved after "
                    + "training diverged)");
        }
        if (onePlusWeight) {
            addOne(dst, count);
        }
    }

    private static NDArray create(NDManager manager, MemorySegment fp32, WeightRef ref) {
        return DeviceTransfer.to(manager.getDevice()).upload(manager, fp32, new Shape(ref.shape()));
    }

    /** Gemma stores norm weights as offsets from one; HF adds the one in FP32 at run time, as we do here once. */
    private static void addOne(MemorySegment fp32, long count) {
        for (long i = 0; i < count; i++) {
            long off = i * Float.BYTES;
            fp32.set(ValueLayout.JAVA_FLOAT_UNALIGNED, off, 1.0f + fp32.get(ValueLayout.JAVA_FLOAT_UNALIGNED, off));
        }
    }
}
