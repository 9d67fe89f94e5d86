package org.fpwap.dataset;

import java.util.List;
import java.util.NoSuchElementException;

/** {@link Dataset#of}: a list already in the heap. */
final class InMemoryDataset implements Dataset {
    private final List<Sample> samples;

    InMemoryDataset(List<Sample> samples) {
        this.samples = List.copyOf(samples);
        for (int i = 0; i < this.samples.size(); i++) {
            long id = this.samples.get(i).id();
            if (id != i) {
                throw new IllegalArgumentException("sample at index " + i + " has id " + id
                        + "; in-memory datasets need ids 0..N-1 in list order");
            }
        }
    }

    @Override
    public SampleCursor open() {
        return new SampleCursor() {
            private int next;

            @Override
            public boolean hasNext() {
                return next < samples.size();
            }

            @Override
            public Sample next() {
                if (!hasNext()) {
                    throw new NoSuchElementException("all " + samples.size() + " samples of " + description() + " were read");
                }
                return samples.get(next++);
            }

            @Override
            public void close() {
                next = samples.size();
            }
        };
    }

    @Override
    public String description() {
        return "in-memory dataset of " + samples.size() + " samples";
    }

    @Override
    public String locate(long id) {
        return "in-memory sample " + id;
    }
}
