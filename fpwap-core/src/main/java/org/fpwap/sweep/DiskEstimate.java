package org.fpwap.sweep;

import java.util.List;
import java.util.Locale;

/**
 * The bytes a sweep will put on the work directory's file system, by kind.
 *
 * <p>The residual buffer is deleted when the sweep ends, before the results are exported, while emit files
 * stay until the {@code Result} is closed; so the peak is the emit files and artifacts plus the larger of
 * the residual buffer and the exported copies (Arrow conversions; safetensors exports are moves).
 *
 * @param residual the residual buffer file
 * @param emits the emit files in the work directory (safetensors layout; exact up to their headers)
 * @param exports the extra copies an Arrow export writes (0 for safetensors, which moves the emit files)
 * @param artifacts artifact files and {@code profile.json}/{@code manifest.json}
 * @param undeclared callbacks whose outputs are unknown (they do not implement {@code OutputSize})
 */
record DiskEstimate(long residual, long emits, long exports, long artifacts, List<String> undeclared) {

    DiskEstimate {
        undeclared = List.copyOf(undeclared);
    }

    /** The most bytes on disk at any one time. */
    long peak() {
        return Math.addExact(Math.addExact(emits, artifacts), Math.max(residual, exports));
    }

    /** A readable breakdown, e.g. {@code residual 1.0 MiB, emits 2.0 KiB, ...}. */
    String breakdown() {
        return String.format(Locale.ROOT, "residual buffer %s, activation files %s, Arrow copies %s, artifacts %s",
                Plan.bytes(residual), Plan.bytes(emits), Plan.bytes(exports), Plan.bytes(artifacts));
    }
}
