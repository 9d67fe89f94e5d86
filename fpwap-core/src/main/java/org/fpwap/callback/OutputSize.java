package org.fpwap.callback;

/**
 * Implemented by a callback that can say, before the sweep, what it will write at each (layer, hook) it
 * subscribes to, so preflight can check the disk for its outputs as well as for the residual buffer.
 * Callbacks without it are left out of the disk estimate (the plan warns, naming them).
 */
public interface OutputSize {

    /**
     * What this callback writes at one (layer, hook) place of a sweep over {@code extent}.
     *
     * @param extent the model width and the dataset's size
     * @return the emits and artifact bytes per place
     */
    Footprint footprint(Extent extent);

    /**
     * The facts an estimate may depend on.
     *
     * @param hiddenSize the model's width H
     * @param samples prompts in the dataset
     * @param tokens real tokens in the dataset
     * @param classes distinct labels in the dataset (0 when unlabelled)
     */
    record Extent(int hiddenSize, int samples, long tokens, int classes) {}

    /**
     * What one (layer, hook) place produces.
     *
     * @param emitWidth values per emitted vector, 0 when the callback emits nothing
     * @param perToken one vector per real token rather than one per sample
     * @param artifactBytes tensor bytes of the artifacts produced for the place (headers not included)
     * @param store how emitted vectors are stored (F32, BF16, or int8 with a scale per vector)
     */
    record Footprint(int emitWidth, boolean perToken, long artifactBytes, Store store) {
        public Footprint {
            if (emitWidth < 0 || artifactBytes < 0) {
                throw new IllegalArgumentException("emitWidth and artifactBytes must be non-negative, got "
                        + emitWidth + " and " + artifactBytes);
            }
            java.util.Objects.requireNonNull(store, "store is null");
        }

        /** A footprint whose emits are stored as F32. */
        public Footprint(int emitWidth, boolean perToken, long artifactBytes) {
            this(emitWidth, perToken, artifactBytes, Store.F32);
        }

        /** The same, with emits stored as {@code s}. */
        public Footprint stored(Store s) {
            return new Footprint(emitWidth, perToken, artifactBytes, s);
        }

        /** Nothing written. */
        public static Footprint none() {
            return new Footprint(0, false, 0);
        }

        /** One vector of {@code width} per sample. */
        public static Footprint perSample(int width) {
            return new Footprint(width, false, 0);
        }

        /** One vector of {@code width} per real token. */
        public static Footprint perToken(int width) {
            return new Footprint(width, true, 0);
        }

        /** Artifacts of {@code bytes} tensor bytes and no emits. */
        public static Footprint artifacts(long bytes) {
            return new Footprint(0, false, bytes);
        }
    }
}
