package org.fpwap.modelgen;

import static java.util.Objects.requireNonNull;

import java.util.OptionalInt;
import org.fpwap.model.ModelFamily;
import org.fpwap.safetensors.DType;

/**
 * The shape of a seeded random HF-format model for tests, benchmarks and the demo.
 *
 * @param family the family
 * @param hiddenSize H
 * @param numLayers blocks
 * @param numHeads query heads
 * @param numKvHeads key/value heads
 * @param headDim head width (written as {@code head_dim} unless it is H / heads and the family is GPT-2)
 * @param intermediateSize MLP width
 * @param vocabSize vocabulary
 * @param maxPositions position limit
 * @param tiedEmbeddings write no {@code lm_head.weight} when true
 * @param slidingWindow Mistral's window, written as {@code sliding_window} (null when empty)
 * @param ropeScalingJson a raw {@code rope_scaling} JSON object to write, or null
 * @param gpt2Prefix write GPT-2 tensor names with the {@code transformer.} prefix
 * @param dtype weight dtype: F32, BF16 or F16
 * @param shards number of safetensors files (1 writes {@code model.safetensors}, more write an index)
 * @param seed the random seed; the same config and seed give the same bytes
 * @param extraConfigJson a JSON object whose keys are written into {@code config.json} last (overriding the
 *     family's defaults), or null: how tests set a family's own keys (soft-caps, window patterns, experts)
 */
public record RandomModelConfig(
        ModelFamily family,
        int hiddenSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int intermediateSize,
        int vocabSize,
        int maxPositions,
        boolean tiedEmbeddings,
        OptionalInt slidingWindow,
        String ropeScalingJson,
        boolean gpt2Prefix,
        DType dtype,
        int shards,
        long seed,
        String extraConfigJson) {

    public RandomModelConfig {
        requireNonNull(family, "family is null");
        requireNonNull(slidingWindow, "slidingWindow is null");
        requireNonNull(dtype, "dtype is null");
        if (dtype != DType.F32 && dtype != DType.BF16 && dtype != DType.F16) {
            throw new IllegalArgumentException("weights must be F32, BF16 or F16, got " + dtype);
        }
        if (shards < 1) {
            throw new IllegalArgumentException("shards must be at least 1, got " + shards);
        }
    }

    /** A builder starting from a small model of {@code family}: H=64, 2 layers, 4 heads (2 KV for Llama-like), vocab 128, F32. */
    public static Builder builder(ModelFamily family) {
        return new Builder(family);
    }

    /** Builds a {@link RandomModelConfig}; every setter returns the builder. */
    public static final class Builder {
        private final ModelFamily family;
        private int hiddenSize = 64;
        private int numLayers = 2;
        private int numHeads = 4;
        private int numKvHeads;
        private int headDim = 16;
        private int intermediateSize = 128;
        private int vocabSize = 128;
        private int maxPositions = 256;
        private boolean tiedEmbeddings;
        private OptionalInt slidingWindow = OptionalInt.empty();
        private String ropeScalingJson;
        private boolean gpt2Prefix;
        private DType dtype = DType.F32;
        private int shards = 1;
        private long seed = 42;
        private String extraConfigJson;

        private Builder(ModelFamily family) {
            this.family = requireNonNull(family, "family is null");
            boolean gpt2 = family == ModelFamily.GPT2;
            this.numKvHeads = gpt2 ? 4 : 2;
            this.tiedEmbeddings = gpt2 || FamilyDefaults.tiedByDefault(family);
        }

        /** H, heads and head width together (they constrain each other). */
        public Builder dims(int hidden, int heads, int kvHeads, int headWidth) {
            this.hiddenSize = hidden;
            this.numHeads = heads;
            this.numKvHeads = kvHeads;
            this.headDim = headWidth;
            return this;
        }

        public Builder layers(int n) { this.numLayers = n; return this; }
        public Builder intermediate(int n) { this.intermediateSize = n; return this; }
        public Builder vocab(int n) { this.vocabSize = n; return this; }
        public Builder maxPositions(int n) { this.maxPositions = n; return this; }
        public Builder tiedEmbeddings(boolean tied) { this.tiedEmbeddings = tied; return this; }
        public Builder slidingWindow(int window) { this.slidingWindow = OptionalInt.of(window); return this; }
        public Builder ropeScaling(String json) { this.ropeScalingJson = json; return this; }
        public Builder gpt2Prefix(boolean prefixed) { this.gpt2Prefix = prefixed; return this; }
        public Builder dtype(DType d) { this.dtype = d; return this; }
        public Builder shards(int n) { this.shards = n; return this; }
        public Builder seed(long s) { this.seed = s; return this; }
        /** Extra {@code config.json} keys, as a JSON object, written after the family's defaults. */
        public Builder extraConfig(String json) { this.extraConfigJson = json; return this; }

        /** The config. */
        public RandomModelConfig build() {
            return new RandomModelConfig(family, hiddenSize, numLayers, numHeads, numKvHeads, headDim, intermediateSize,
                    vocabSize, maxPositions, tiedEmbeddings, slidingWindow, ropeScalingJson, gpt2Prefix, dtype, shards, seed,
                    extraConfigJson);
        }
    }
}
