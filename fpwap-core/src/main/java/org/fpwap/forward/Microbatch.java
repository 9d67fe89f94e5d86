package org.fpwap.forward;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A padded group of prompts processed together. Sample {@code b} occupies positions
 * {@code [offset(b), offset(b) + length(b))} of its row; the rest are pads, which are masked in
 * attention and never read back.
 */
public final class Microbatch {

    private final long[] sampleIds;
    private final int[] lengths;
    private final int width;
    private final PaddingSide side;
    private final int[] paddedTokens;

    /**
     * @param sampleIds dataset ids of the samples, in row order
     * @param tokens each sample's token ids (non-empty)
     * @param side where pads go
     */
    public Microbatch(long[] sampleIds, List<int[]> tokens, PaddingSide side) {
        this(sampleIds, tokens.stream().mapToInt(t -> t.length).toArray(), side, tokens);
    }

    private Microbatch(long[] sampleIds, int[] lengths, PaddingSide side, List<int[]> tokens) {
        requireNonNull(side, "side is null");
        if (sampleIds.length != lengths.length || lengths.length == 0) {
            throw new IllegalArgumentException("need one non-empty sample per id, got "
                    + sampleIds.length + " ids and " + lengths.length + " samples");
        }
        this.sampleIds = sampleIds.clone();
        this.side = side;
        this.lengths = lengths.clone();
        int max = 0;
        for (int b = 0; b < lengths.length; b++) {
            if (lengths[b] <= 0) {
                throw new IllegalArgumentException("sample " + sampleIds[b] + " has no tokens");
            }
            max = Math.max(max, lengths[b]);
        }
        this.width = max;
        if (tokens == null) {
            this.paddedTokens = null;
        } else {
            this.paddedTokens = new int[lengths.length * width];
            for (int b = 0; b < lengths.length; b++) {
                System.arraycopy(tokens.get(b), 0, paddedTokens, b * width + offset(b), lengths[b]);
            }
        }
    }

    /**
     * A microbatch known only by its samples' lengths: the layer-streaming engine reads activations from
     * the residual buffer and never needs the token ids again.
     */
    public static Microbatch ofLengths(long[] sampleIds, int[] lengths, PaddingSide side) {
        return new Microbatch(sampleIds, lengths, side, null);
    }

    /** Number of samples B. */
    public int size() {
        return lengths.length;
    }

    /** Padded length T. */
    public int width() {
        return width;
    }

    /** Where pads go. */
    public PaddingSide paddingSide() {
        return side;
    }

    /** Dataset id of row {@code b}. */
    public long sampleId(int b) {
        return sampleIds[b];
    }

    /** Dataset ids, in row order. */
    public long[] sampleIds() {
        return sampleIds.clone();
    }

    /** Real tokens in row {@code b}. */
    public int length(int b) {
        return lengths[b];
    }

    /** Real token counts, in row order. */
    public int[] lengths() {
        return lengths.clone();
    }

    /** Index in the row of sample {@code b}'s first real token. */
    public int offset(int b) {
        return side == PaddingSide.LEFT ? width - lengths[b] : 0;
    }

    /** Total real tokens. */
    public long realTokens() {
        long n = 0;
        for (int l : lengths) {
            n += l;
        }
        return n;
    }

    /** Token ids {@code [B*T]} row-major, pads = 0; only for microbatches built from tokens. */
    public int[] paddedTokens() {
        if (paddedTokens == null) {
            throw new IllegalStateException("this microbatch was built from lengths only and has no token ids");
        }
        return paddedTokens.clone();
    }

    /** Position of each slot {@code [B*T]}: 0-based within the sample for real tokens, 0 for pads. */
    public int[] positions() {
        int[] pos = new int[lengths.length * width];
        for (int b = 0; b < lengths.length; b++) {
            int off = offset(b);
            for (int i = 0; i < lengths[b]; i++) {
                pos[b * width + off + i] = i;
            }
        }
        return pos;
    }
}
