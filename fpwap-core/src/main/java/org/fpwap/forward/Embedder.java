package org.fpwap.forward;

import static java.util.Objects.requireNonNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Optional;
import org.fpwap.model.ModelSpec;
import org.fpwap.weights.EmbeddingTable;

/**
 * The input of block 0 ({@code hidden_states[0]}): token embedding rows, times the family's scale
 * (Gemma's √H), plus learned position rows (GPT-2). Computed in Java FP32 from the mapped
 * checkpoint, reading only the rows the microbatch uses.
 */
public final class Embedder {

    private final ModelSpec spec;
    private final EmbeddingTable tokens;
    private final Optional<EmbeddingTable> positions;

    /** An embedder over the given tables (valid while their checkpoint is open). */
    public Embedder(ModelSpec spec, EmbeddingTable tokens, Optional<EmbeddingTable> positions) {
        this.spec = requireNonNull(spec, "spec is null");
        this.tokens = requireNonNull(tokens, "tokens is null");
        this.positions = requireNonNull(positions, "positions is null");
    }

    /** {@code [B, T, H]} FP32 in {@code manager}; pad slots hold token 0's row and are never read. */
    public NDArray embed(Microbatch mb, NDManager manager) {
        int[] ids = mb.paddedTokens();
        float[] out = new float[ids.length * spec.hiddenSize()];
        embedRows(ids, mb.positions(), out, 0);
        return manager.create(out, new Shape(mb.size(), mb.width(), spec.hiddenSize()));
    }

    /** One sample's {@code [len, H]} rows (positions 0..len-1) into {@code out[from..]}. */
    public void embedSample(int[] tokens, float[] out, int from) {
        int[] positions = new int[tokens.length];
        for (int i = 0; i < positions.length; i++) {
            positions[i] = i;
        }
        embedRows(tokens, positions, out, from);
    }

    private void embedRows(int[] ids, int[] pos, float[] out, int from) {
        int h = spec.hiddenSize();
        float[] positionRow = positions.isPresent() ? new float[h] : null;
        float scale = spec.embeddingScale();
        for (int slot = 0; slot < ids.length; slot++) {
            int base = from + slot * h;
            tokens.copyRow(ids[slot], out, base);
            if (scale != 1.0f) {
                for (int i = 0; i < h; i++) {
                    out[base + i] *= scale;
                }
            }
            if (positionRow != null) {
                positions.get().copyRow(pos[slot], positionRow, 0);
                for (int i = 0; i < h; i++) {
                    out[base + i] += positionRow[i];
                }
            }
        }
    }
}
