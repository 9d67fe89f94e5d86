package org.fpwap.sweep;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.fpwap.buffer.ResidualBuffer;
import org.fpwap.dataset.DatasetException;
import org.fpwap.dataset.DatasetScanner;
import org.fpwap.dataset.DatasetSummary;
import org.fpwap.model.ModelSpec;
import org.fpwap.model.TensorNames;
import org.fpwap.model.TensorRef;
import org.fpwap.safetensors.Checkpoint;
import org.fpwap.safetensors.CheckpointHeaders;
import org.fpwap.safetensors.SafetensorsException;
import org.fpwap.safetensors.TensorInfo;

/**
 * The minimal preflight: tensor presence, shapes and dtypes from headers only, a validating scan of the
 * dataset, and disk space for the residual buffer. Never touches the device or reads weight data.
 */
final class Preflight {

    private final SweepConfig config;
    private final ModelSpec spec;
    private final int deepest;
    private final Path workDir;

    Preflight(SweepConfig config, ModelSpec spec, int deepest, Path workDir) {
        this.config = config;
        this.spec = spec;
        this.deepest = deepest;
        this.workDir = workDir;
    }

    Plan plan() {
        List<String> blockers = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        long weightBytes = checkTensors(blockers);
        DatasetSummary summary = null;
        try {
            summary = DatasetScanner.scan(config.dataset(), spec.vocabSize(), spec.maxPositions());
        } catch (DatasetException e) {
            blockers.add(e.getMessage());
        }
        if (summary == null) {
            return new Plan(blockers, warnings, 0, 0, 0, deepest + 1, weightBytes, 0);
        }
        long residual = ResidualBuffer.fileBytesFor(spec.hiddenSize(), summary.totalTokens(), config.transport());
        try {
            long free = Files.getFileStore(workDir).getUsableSpace();
            if (free < residual) {
                blockers.add("the residual buffer needs " + residual + " bytes in " + workDir + " but only " + free
                        + " are free; choose another workDir or the BF16 residual transport");
            }
        } catch (IOException e) {
            warnings.add("cannot check free space in " + workDir + ": " + e.getMessage());
        }
        MicrobatchPlan plan = MicrobatchPlan.of(summary.lengths(), config.microbatch(), config.tokenBudget());
        return new Plan(blockers, warnings, summary.sampleCount(), summary.totalTokens(), plan.count(), deepest + 1,
                weightBytes, residual);
    }

    private long checkTensors(List<String> blockers) {
        CheckpointHeaders headers;
        try {
            headers = Checkpoint.readHeaders(config.model());
        } catch (SafetensorsException e) {
            blockers.add(e.getMessage());
            return 0;
        }
        TensorNames names = TensorNames.resolve(spec, headers::contains);
        List<TensorRef> needed = new ArrayList<>();
        for (int l = 0; l <= deepest; l++) {
            needed.addAll(names.layer(l).values());
        }
        int layerTensors = needed.size();
        needed.add(names.tokenEmbedding());
        names.positionEmbedding().ifPresent(needed::add);
        long layerBytes = 0;
        for (int i = 0; i < needed.size(); i++) {
            TensorRef ref = needed.get(i);
            if (!headers.contains(ref.name())) {
                blockers.add("tensor \"" + ref.name() + "\" is missing from " + config.model());
                continue;
            }
            TensorInfo info = headers.info(ref.name());
            if (!Arrays.equals(info.shape(), ref.shape())) {
                blockers.add("tensor \"" + ref.name() + "\" has shape " + Arrays.toString(info.shape())
                        + "; config.json implies " + Arrays.toString(ref.shape()));
            }
            if (i < layerTensors) {
                layerBytes += info.byteLength();
            }
        }
        return layerBytes;
    }
}
