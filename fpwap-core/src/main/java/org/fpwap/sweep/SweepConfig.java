package org.fpwap.sweep;

import java.nio.file.Path;
import org.fpwap.buffer.ResidualBuffer;
import org.fpwap.dataset.Dataset;

/** Everything a {@link Sweep.Builder} collected, as one immutable value. */
record SweepConfig(
        Path model,
        Dataset dataset,
        String device,
        int microbatch,
        long tokenBudget,
        boolean finalNorm,
        ResidualBuffer.Transport transport,
        boolean keepResidual,
        ProgressListener progress,
        boolean verify) {}
