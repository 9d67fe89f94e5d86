package org.fpwap.model;

import java.util.List;

/**
 * What one role of a block reads from the checkpoint: a single tensor, or several tensors of one shape
 * stacked along a new leading axis (a mixture-of-experts layer's per-expert matrices become one
 * {@code [experts, out, in]} tensor, staged contiguously so the forward can slice an expert without a copy).
 */
public sealed interface WeightRef permits TensorRef, StackedRef {

    /** The checkpoint tensors, in stacking order. */
    List<TensorRef> parts();

    /** The shape of the FP32 tensor the forward sees. */
    long[] shape();

    /** Elements of the FP32 tensor the forward sees. */
    long elementCount();
}
