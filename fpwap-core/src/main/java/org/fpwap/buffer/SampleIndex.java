package org.fpwap.buffer;

import java.util.HashMap;
import java.util.Map;

/**
 * Maps a dataset sample id back to its processing index.
 *
 * <p>Ids are usually {@code 0..N-1}, where a plain array is smallest and fastest; arbitrary sparse
 * ids (a shard of a larger dataset, say) fall back to a hash map rather than an array sized by the
 * largest id.
 */
abstract sealed class SampleIndex {
    static final int ABSENT = -1;

    /** Largest id, relative to the sample count, for which an array is used. */
    private static final int DENSE_SLACK = 4;

    abstract int indexOf(long sampleId);

    /**
     * Builds the inverse of {@code sampleIds}.
     *
     * @throws IllegalArgumentException if an id is negative or repeated
     */
    static SampleIndex of(long[] sampleIds) {
        long max = -1;
        for (int i = 0; i < sampleIds.length; i++) {
            if (sampleIds[i] < 0) {
                throw new IllegalArgumentException("sample ids must be non-negative, got " + sampleIds[i]
                        + " at processing index " + i);
            }
            max = Math.max(max, sampleIds[i]);
        }
        long denseLimit = Math.max(1024L, (long) DENSE_SLACK * sampleIds.length);
        return max < denseLimit ? new Dense(sampleIds, (int) max + 1) : new Sparse(sampleIds);
    }

    private static IllegalArgumentException duplicate(long id, int first, int second) {
        return new IllegalArgumentException("sample id " + id + " appears twice, at processing indices "
                + first + " and " + second + "; sample ids must be unique");
    }

    static final class Dense extends SampleIndex {
        private final int[] indexById;

        Dense(long[] sampleIds, int size) {
            indexById = new int[size];
            java.util.Arrays.fill(indexById, ABSENT);
            for (int i = 0; i < sampleIds.length; i++) {
                int id = (int) sampleIds[i];
                if (indexById[id] != ABSENT) {
                    throw duplicate(id, indexById[id], i);
                }
                indexById[id] = i;
            }
        }

        @Override
        int indexOf(long sampleId) {
            return sampleId >= 0 && sampleId < indexById.length ? indexById[(int) sampleId] : ABSENT;
        }
    }

    static final class Sparse extends SampleIndex {
        private final Map<Long, Integer> indexById;

        Sparse(long[] sampleIds) {
            indexById = HashMap.newHashMap(sampleIds.length);
            for (int i = 0; i < sampleIds.length; i++) {
                Integer previous = indexById.putIfAbsent(sampleIds[i], i);
                if (previous != null) {
                    throw duplicate(sampleIds[i], previous, i);
                }
            }
        }

        @Override
        int indexOf(long sampleId) {
            return indexById.getOrDefault(sampleId, ABSENT);
        }
    }
}
