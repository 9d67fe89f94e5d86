package org.fpwap.safetensors;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Checks that the tensors tile the data section exactly: every byte belongs to exactly one tensor,
 * in offset order, with nothing before the first, between any two, or after the last.
 *
 * <p>This is the Rust crate's rule. It catches truncated downloads, overlapping tensors (two
 * tensors silently sharing bytes) and smuggled trailing data.
 */
final class DataLayout {
    private DataLayout() {}

    /**
     * Validates the layout and returns the tensors in data order.
     *
     * @param file the file, named in every error
     * @param headerOrder the tensors as listed in the header, each already checked on its own
     * @param dataLength the number of bytes after the header
     * @return the tensors sorted by {@code begin} (zero-size tensors before a tensor at the same offset)
     */
    static List<TensorInfo> validate(Path file, List<TensorInfo> headerOrder, long dataLength) {
        for (TensorInfo tensor : headerOrder) {
            if (tensor.end() > dataLength) {
                throw new SafetensorsException(file, tensor.name(), "data_offsets [" + tensor.begin() + ", "
                        + tensor.end() + "] lie beyond the data section: expected end <= " + dataLength
                        + " (the data section length), got " + tensor.end() + "; is the file truncated?");
            }
        }
        List<TensorInfo> sorted = new ArrayList<>(headerOrder);
        // List.sort is stable, so tied zero-size tensors keep their header order.
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));

        TensorInfo previous = null;
        long expectedBegin = 0;
        for (TensorInfo tensor : sorted) {
            if (tensor.begin() != expectedBegin) {
                throw new SafetensorsException(file, tensor.name(), describeBreak(previous, tensor, expectedBegin));
            }
            expectedBegin = tensor.end();
            previous = tensor;
        }
        if (expectedBegin != dataLength) {
            String after = previous == null ? "the header (no tensors)" : "the last tensor \"" + previous.name() + "\"";
            throw new SafetensorsException(file, previous == null ? null : previous.name(),
                    "trailing bytes after " + after + ": expected the data section to be " + expectedBegin
                            + " bytes, got " + dataLength + " bytes (" + (dataLength - expectedBegin)
                            + " bytes belong to no tensor)");
        }
        return List.copyOf(sorted);
    }

    private static String describeBreak(TensorInfo previous, TensorInfo tensor, long expectedBegin) {
        if (previous == null) {
            return "gap before the first tensor: expected the first tensor (by offset) to begin at 0, got begin "
                    + tensor.begin() + " (" + tensor.begin() + " bytes belong to no tensor)";
        }
        String pair = "\"" + previous.name() + "\" [" + previous.begin() + ", " + previous.end() + "] and \""
                + tensor.name() + "\" [" + tensor.begin() + ", " + tensor.end() + "]";
        if (tensor.begin() > expectedBegin) {
            return "gap between tensors " + pair + ": expected \"" + tensor.name() + "\" to begin at " + expectedBegin
                    + " where \"" + previous.name() + "\" ends, got begin " + tensor.begin() + " ("
                    + (tensor.begin() - expectedBegin) + " bytes belong to no tensor)";
        }
        return "tensors overlap: " + pair + ": expected \"" + tensor.name() + "\" to begin at " + expectedBegin
                + " where \"" + previous.name() + "\" ends, got begin " + tensor.begin() + " ("
                + (expectedBegin - tensor.begin()) + " bytes shared)";
    }
}
