package org.fpwap.result;

/**
 * Bounds on one Arrow record batch, so the writer's memory stays bounded however many rows there
 * are. A batch always holds at least one row, even when that row alone exceeds the float budget.
 *
 * @param maxFloatBytes the most bytes of activation values per batch, at least 1
 * @param maxRows the most rows per batch, at least 1
 */
public record BatchLimits(long maxFloatBytes, int maxRows) {

    /**
     * 1 MiB of float data or 4 Ki rows, whichever comes first: a few batch buffers of this size are small next to
     * the sweep's own working set, so exporting does not raise the run's peak resident set (with 4 MiB / 16 Ki rows the
     * Arrow export added ~20 MB at 50,000 prompts, measured by scripts/bench rss: 281 against 263 MB). Readers
     * stream batches, so many small ones cost them little.
     */
    public static final BatchLimits DEFAULT = new BatchLimits(1L << 20, 1 << 12);

    public BatchLimits {
        if (maxFloatBytes < 1 || maxRows < 1) {
            throw new IllegalArgumentException(
                    "batch limits must be positive, got maxFloatBytes=" + maxFloatBytes + ", maxRows=" + maxRows);
        }
    }

    /**
     * The end (exclusive) of the batch that starts at {@code from}.
     *
     * @param rows the source
     * @param from the first row of the batch, {@code < rows.sampleCount()}
     * @return the first row of the next batch, greater than {@code from}
     */
    int endOfBatch(ActivationRows rows, int from) {
        long bytesPerToken = (long) rows.hiddenSize() * rows.store().bytesPerValue();
        int end = from;
        long bytes = 0;
        while (end < rows.sampleCount() && end - from < maxRows) {
            long rowBytes = rows.tokenCount(end) * bytesPerToken;
            if (end > from && bytes + rowBytes > maxFloatBytes) {
                break;
            }
            bytes += rowBytes;
            end++;
        }
        return end;
    }
}
