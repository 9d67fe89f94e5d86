package org.fpwap.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.fpwap.device.Devices;
import org.fpwap.device.MemoryBudget;
import org.fpwap.model.ArchitectureSummary;
import org.fpwap.hub.ModelLocation;
import org.fpwap.model.ModelConfigReader;
import org.fpwap.model.ModelSpec;
import org.fpwap.model.TensorNames;
import org.fpwap.model.TensorRef;
import org.fpwap.safetensors.Checkpoint;
import org.fpwap.safetensors.CheckpointHeaders;
import org.fpwap.safetensors.DType;
import org.fpwap.safetensors.TensorInfo;
import org.fpwap.sweep.MemoryModel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fpwap inspect MODEL}: what a model is and what one layer costs, from headers only. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Summarise a model directory: family, dimensions, parameters, dtype, bytes per layer, and whether "
                + "one layer fits the device budget.")
final class InspectCommand implements Callable<Integer> {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL",
            description = "HF model directory, or a Hugging Face id ORG/NAME found offline in the local Hugging Face cache.")
    String modelReference;

    @Option(names = "--revision", paramLabel = "REV",
            description = "With a Hugging Face id: a branch or tag under the cache's refs/, or a commit hash (default: main).")
    String revision;

    @CommandLine.ParentCommand
    private Fpwap parent;

    @Option(names = "--tensors", description = "Also list every tensor (name, dtype, shape, file).")
    boolean tensors;

    @Option(names = "--device", defaultValue = "cpu", description = "Device whose memory budget to compare with (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--device-memory", paramLabel = "BYTES", description = "Budget to compare with instead of the device default.")
    Long deviceMemory;

    @Option(names = "--debug", description = "Print stack traces on errors.")
    boolean debug;

    @Override
    public Integer call() {
        ModelLocation location = parent.modelLocator().locate(modelReference, Optional.ofNullable(revision));
        Path model = location.directory();
        ModelSpec m = ModelConfigReader.read(model);
        CheckpointHeaders headers = Checkpoint.readHeaders(model);
        TensorNames names = TensorNames.resolve(m, headers::contains);
        // Blocks may differ (dense and MoE layers): report the largest, which is what the staging slots hold.
        long layerFileBytes = 0;
        long largestParams = 0;
        boolean uniform = true;
        for (int l = 0; l < m.numLayers(); l++) {
            long bytes = 0;
            long elements = 0;
            for (TensorRef ref : names.layerTensors(l)) {
                if (headers.contains(ref.name())) {
                    TensorInfo info = headers.info(ref.name());
                    bytes += info.byteLength();
                    elements += info.elementCount();
                }
            }
            uniform &= l == 0 || elements == largestParams;
            if (elements > largestParams) {
                largestParams = elements;
                layerFileBytes = bytes;
            }
        }
        Map<DType, Long> dtypes = new TreeMap<>();
        long params = 0;
        for (String name : headers.tensorNames()) {
            TensorInfo info = headers.info(name);
            params += info.elementCount();
            dtypes.merge(info.dtype(), info.elementCount(), Long::sum);
        }
        MemoryModel memory = new MemoryModel(m);
        var dev = Devices.resolve(device);
        long budget = deviceMemory != null ? deviceMemory : MemoryBudget.defaultBytes(dev);
        long needed = memory.peakBytes(dev.isGpu(), 1, Math.min(m.maxPositions(), 512));
        PrintWriter o = spec.commandLine().getOut();
        o.printf(Locale.ROOT, "model:        %s%n", location.describe());
        o.printf(Locale.ROOT, "family:       %s%n", m.family().modelType());
        o.printf(Locale.ROOT, "dimensions:   H=%d, %d layers, %d heads (%d KV) x %d, MLP %d, vocab %,d, positions %,d%n",
                m.hiddenSize(), m.numLayers(), m.numHeads(), m.numKvHeads(), m.headDim(), m.intermediateSize(), m.vocabSize(),
                m.maxPositions());
        for (String line : ArchitectureSummary.lines(m)) {
            o.println(line);
        }
        o.printf(Locale.ROOT, "parameters:   %,d (%s)%n", params, dtypes);
        if (uniform) {
            o.printf(Locale.ROOT, "per layer:    %,d parameters, %,d B in the files, %,d B as FP32%n", m.parametersPerLayer(),
                    layerFileBytes, memory.layerFp32Bytes());
        } else {
            o.printf(Locale.ROOT, "per layer:    layers differ; the largest has %,d parameters, %,d B in the files, %,d B as FP32 "
                    + "(mean %,d parameters, %,d active per token)%n", largestParams, layerFileBytes, memory.layerFp32Bytes(),
                    m.parametersPerLayer(), m.activeParametersPerLayer());
        }
        o.printf(Locale.ROOT, "total:        %,d B in %d file(s)%n", headers.totalBytes(), headers.files().size());
        o.printf(Locale.ROOT, "device:       %s, budget %,d B; one layer + a 1 x %d-token microbatch needs %,d B: %s%n",
                Devices.describe(dev), budget, Math.min(m.maxPositions(), 512), needed, needed <= budget ? "fits" : "DOES NOT FIT");
        if (tensors) {
            for (String name : headers.tensorNames()) {
                TensorInfo info = headers.info(name);
                o.printf(Locale.ROOT, "  %-60s %-5s %-20s %s%n", name, info.dtype(), Arrays.toString(info.shape()),
                        headers.fileOf(name).getFileName());
            }
        }
        o.flush();
        return 0;
    }
}
