package org.fpwap.oracle;

import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.operations.TensorOperations;

/**
 * Plain scalar F32 implementation of Jlama's {@link TensorOperations}, with exactly the indexing
 * contract of Jlama's {@code PanamaTensorOperations} (results of a row chunk land at absolute column
 * {@code j + rOffset}; a one-row {@code b} broadcasts in accumulate) but without its SIMD-lane limits.
 *
 * <p>Used by {@link JlamaOracle} in {@link JlamaOracle.Kernels#SCALAR} mode for checkpoints whose
 * sizes Jlama's Panama kernels cannot handle (e.g. {@code stories260K}: head_dim 8 and intermediate
 * size 172 on a 16-lane AVX-512 machine). Everything else (embeddings, norms, RoPE, softmax,
 * activations, KV cache, block structure) stays Jlama's own code. Jlama's bundled
 * {@code NaiveTensorOperations} cannot serve here: its {@code batchDotProduct} writes chunk results at
 * relative columns, which together with {@code VectorMath.pchunk} (one-column chunks when
 * {@code parallelSplitSize() == 1}) puts every projection output into column 0.
 *
 * <p>Accumulation is in float with fused multiply-adds, like the Panama kernels (only the order
 * differs), so results agree with the Panama path to float rounding.
 */
final class JlamaScalarOps implements TensorOperations {

    @Override
    public String name() {
        return "fpwap test-side scalar F32 operations";
    }

    @Override
    public int parallelSplitSize() {
        return Math.max(2, Runtime.getRuntime().availableProcessors());
    }

    @Override
    public void batchDotProduct(
        AbstractTensor result,
        AbstractTensor a,
        AbstractTensor b,
        int aColumnOffset,
        int bColumnOffset,
        int columnLength,
        int rOffset,
        int bRowOffset,
        int rowChunkSize
    ) {
        requireF32(result, a, b);
        if (a.dims() != 2 || b.dims() != 2 || result.dims() != 2) {
            throw new IllegalArgumentException("2-D tensors expected");
        }
        int m = a.shape().first();
        for (int i = 0; i < m; i++) {
            for (int j = bRowOffset; j < bRowOffset + rowChunkSize; j++) {
                float s = 0f;
                for (int c = 0; c < columnLength; c++) {
                    s = Math.fma(a.get(i, aColumnOffset + c), b.get(j, bColumnOffset + c), s);
                }
                result.set(s, i, j + rOffset);
            }
        }
    }

    @Override
    public void accumulate(AbstractTensor a, AbstractTensor b, int offset, int length) {
        requireF32(a, b);
        boolean isBatch = b.shape().first() > 1;
        for (int r = 0; r < a.shape().first(); r++) {
            int br = isBatch ? r : 0;
            for (int i = offset; i < offset + length; i++) {
                a.set(a.get(r, i) + b.get(br, i), r, i);
            }
        }
    }

    @Override
    public void maccumulate(AbstractTensor a, AbstractTensor b, int offset, int length) {
        requireF32(a, b);
        boolean isBatch = b.shape().first() > 1;
        for (int r = 0; r < a.shape().first(); r++) {
            int br = isBatch ? r : 0;
            for (int i = offset; i < offset + length; i++) {
                a.set(a.get(r, i) * b.get(br, i), r, i);
            }
        }
    }

    @Override
    public void saxpy(float alpha, AbstractTensor x, AbstractTensor y, int xoffset, int yoffset, int limit) {
        requireF32(x, y);
        for (int c = 0; c < limit; c++) {
            y.set(Math.fma(x.get(0, xoffset + c), alpha, y.get(0, yoffset + c)), 0, yoffset + c);
        }
    }

    @Override
    public void saxpy(
        AbstractTensor alpha,
        AbstractTensor x,
        AbstractTensor y,
        int xoffset,
        int yoffset,
        int limit,
        int aOffset,
        int xRowOffset,
        int batchSize
    ) {
        requireF32(alpha, x, y);
        for (int k = 0; k < batchSize; k++) {
            float al = alpha.get(0, aOffset + k);
            int xr = xRowOffset + k;
            for (int c = 0; c < limit; c++) {
                y.set(Math.fma(x.get(xr, xoffset + c), al, y.get(0, yoffset + c)), 0, yoffset + c);
            }
        }
    }

    @Override
    public void scale(float factor, AbstractTensor x, int offset, int length) {
        requireF32(x);
        for (int r = 0; r < x.shape().first(); r++) {
            for (int i = offset; i < offset + length; i++) {
                x.set(x.get(r, i) * factor, r, i);
            }
        }
    }

    private static void requireF32(AbstractTensor... ts) {
        for (AbstractTensor t : ts) {
            if (t.dType() != DType.F32) {
                throw new UnsupportedOperationException("scalar oracle kernels are F32-only, got " + t.dType());
            }
        }
    }
}
