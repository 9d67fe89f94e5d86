package org.fpwap.sweep;

import java.nio.file.Path;
import java.util.Optional;
import org.fpwap.buffer.ResidualBuffer;
import org.fpwap.dataset.Dataset;
import org.fpwap.run.JournalEntry;

/**
 * Everything a {@link Sweep.Builder} collected, as one immutable value.
 *
 * @param microbatch prompts per microbatch, or 0 to let preflight choose the largest that fits
 * @param deviceMemory the device memory budget in bytes, or 0 for the device's default
 * @param microbatching the exact microbatching to use (no probe), or empty to let preflight choose
 */
record SweepConfig(
        Path model,
        Dataset dataset,
        String device,
        int microbatch,
        long tokenBudget,
        long deviceMemory,
        boolean finalNorm,
        ResidualBuffer.Transport transport,
        boolean keepResidual,
        ProgressListener progress,
        boolean verify,
        Optional<JournalEntry.Microbatching> microbatching) {}
