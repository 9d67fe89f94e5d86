package org.fpwap.dataset;

import java.util.Iterator;

/**
 * One sequential pass over a {@link Dataset}: samples in dataset order, read lazily, so only the
 * current sample (and, for Arrow, the current record batch) is in memory.
 *
 * <p>A cursor owns the open file and any native buffers; the caller closes it, normally with
 * try-with-resources. Closing twice is harmless. {@link #next()} and {@link #hasNext()} throw
 * {@link DatasetException} for malformed input, naming the file, the line or row, the field and the
 * value; after such an error the cursor should only be closed.
 */
public interface SampleCursor extends Iterator<Sample>, AutoCloseable {

    /** Releases the file handle and native memory; idempotent and never throws a checked exception. */
    @Override
    void close();
}
