package org.fpwap.sweep;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.fpwap.dataset.DatasetException;
import org.fpwap.dataset.DatasetScanner;
import org.fpwap.dataset.DatasetSummary;
import org.fpwap.device.DeviceUnavailableException;
import org.fpwap.device.Devices;
import org.fpwap.device.EngineInfo;
import org.fpwap.device.MemoryBudget;
import org.fpwap.forward.Microbatch;
import org.fpwap.forward.PaddingSide;
import org.fpwap.model.ModelSpec;
import org.fpwap.model.TensorNames;
import org.fpwap.model.TensorRef;
import org.fpwap.profile.MicrobatchProbe;
import org.fpwap.safetensors.Checkpoint;
import org.fpwap.safetensors.CheckpointHeaders;
import org.fpwap.safetensors.SafetensorsException;
import org.fpwap.safetensors.TensorInfo;

/**
 * Checks a sweep before it runs: every needed tensor's presence and shape from headers only, a validating
 * scan of the dataset, the device, the memory budget (choosing the largest microbatch that fits when the
 * user set none), disk space for the residual buffer, and — optionally — a measured probe (one layer's
 * load and one microbatch's forward) for the time estimate.
 */
final class Preflight {

    /** Token slots per microbatch beyond which larger microbatches stop paying off on these GEMM sizes. */
    static final long AUTO_MAX_SLOTS = 8192;
    /** At most this many prompts per microbatch when chosen automatically. */
    static final int AUTO_MAX_SAMPLES = 512;
    /** Automatic microbatches keep at least this share of their slots real (not padding). */
    static final double AUTO_MIN_FILL = 0.8;

    /**
     * The real-token share microbatches must keep: {@link #AUTO_MIN_FILL} when chosen automatically, none when the user fixed
     * the size, the given one when the whole microbatching was fixed.
     */
    static double minFill(SweepConfig config) {
        if (config.microbatching().isPresent()) {
            return config.microbatching().get().minFill();
        }
        return config.microbatch() > 0 ? 0 : AUTO_MIN_FILL;
    }

    private final SweepConfig config;
    private final ModelSpec spec;
    private final int deepest;
    private final Path workDir;
    private final OutputSizeEstimator outputs;

    Preflight(SweepConfig config, ModelSpec spec, int deepest, Path workDir, OutputSizeEstimator outputs) {
        this.config = config;
        this.spec = spec;
        this.deepest = deepest;
        this.workDir = workDir;
        this.outputs = outputs;
    }

    /** A plan with the dataset scan behind it, so the run need not scan again. */
    record Checked(Plan plan, DatasetSummary summary) {}

    /** The plan; {@code probe} also measures one layer's load and one microbatch's forward for the estimate. */
    Plan plan(boolean probe) {
        return check(probe).plan();
    }

    /** The plan and the dataset summary (null when the scan failed). */
    Checked check(boolean probe) {
        try (LazyProbe forward = new LazyProbe()) {
            return check(probe, forward);
        }
    }

    /**
     * Layer 0 staged at most once per check, shared by the microbatch chooser and the time estimate (staging a large
     * model's layer costs seconds), and freed when the check ends.
     */
    private final class LazyProbe implements AutoCloseable {
        private ForwardProbe probe;

        ForwardProbe get(Device device) {
            if (probe == null) {
                probe = new ForwardProbe(config.model(), spec, device);
            }
            return probe;
        }

        @Override
        public void close() {
            if (probe != null) {
                probe.close();
            }
        }
    }

    private Checked check(boolean probe, LazyProbe forward) {
        List<String> blockers = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        long weightBytes = checkTensors(blockers);
        Device device = null;
        try {
            device = Devices.resolve(config.device());
        } catch (DeviceUnavailableException e) {
            blockers.add(e.getMessage());
        }
        boolean gpu = device != null && device.isGpu();
        String engine = engineDescription();
        // TF32 only exists on CUDA; on CPU and MPS the FP32 matmul is plain FP32.
        String tf32 = gpu ? Devices.TF32_STATEMENT
                : "not applicable (no TF32 on " + (device == null ? config.device() : Devices.describe(device)) + ")";
        // MPS shares RAM with the host: the staging slots and the uploaded layer are all in the same memory.
        long unifiedExtra = device != null && Devices.isMps(device) ? new MemoryModel(spec).layerFp32Bytes() : 0;
        long budget = config.deviceMemory() > 0 ? config.deviceMemory()
                : device == null ? 0 : MemoryBudget.defaultBytes(device);
        DatasetSummary summary = null;
        try {
            summary = DatasetScanner.scan(config.dataset(), spec.vocabSize(), spec.maxPositions());
        } catch (DatasetException e) {
            blockers.add(e.getMessage());
        }
        String deviceName = device == null ? config.device() : Devices.describe(device);
        if (summary == null) {
            return new Checked(new Plan(blockers, warnings, deviceName, engine, tf32, budget, 0, 0, deepest + 1, 0, 0, 0, 0, weightBytes, 0,
                    Double.NaN, "", 0), null);
        }
        MemoryModel memory = new MemoryModel(spec);
        int width = summary.maxLength();
        int samples;
        long tokenBudget;
        MicrobatchProbe choice = MicrobatchProbe.none("fixed by the microbatch option");
        if (config.microbatch() > 0) {
            samples = config.microbatch();
            tokenBudget = config.tokenBudget();
            int largest = (int) Math.max(1, Math.min(samples, Math.min(summary.sampleCount(), tokenBudget / width)));
            long peak = memory.peakBytes(gpu, largest, width) + unifiedExtra;
            if (peak > budget) {
                blockers.add(String.format(Locale.ROOT, "a microbatch of %d prompts x %d tokens needs %,d bytes (weights %,d + "
                        + "working set %,d) but the device memory budget is %,d; lower the microbatch size or raise the budget",
                        largest, width, peak, memory.weightBytesOnDevice(gpu), memory.residentWorkingSetBytes(gpu, largest, width), budget));
            }
        } else {
            samples = largestFitting(memory, gpu, width, budget - unifiedExtra);
            if (samples == 0) {
                long need = memory.peakBytes(gpu, 1, width) + unifiedExtra;
                blockers.add(String.format(Locale.ROOT, "one layer's FP32 weights (%,d bytes on the device) plus one prompt of %d "
                        + "tokens need %,d bytes but the device memory budget is %,d; raise the budget (--device-memory) or "
                        + "shorten the longest prompt", memory.weightBytesOnDevice(gpu), width, need, budget));
                samples = 1;
            }
            tokenBudget = Math.max(width, Math.min((long) samples * width, AUTO_MAX_SLOTS));
            choice = MicrobatchProbe.none("the largest that fits (not measured: the plan has blockers)");
            if (blockers.isEmpty()) {
                int most = (int) Math.max(1, Math.min(summary.sampleCount(), tokenBudget / width));
                choice = chooseByThroughput(forward, device, most, width, (double) summary.totalTokens() * (deepest + 1));
                if (choice.chosenSamples() > 0) {
                    tokenBudget = Math.max(width, (long) choice.chosenSamples() * width);
                    samples = (int) Math.min(samples, Math.max(1, tokenBudget / width));
                }
            }
            samples = (int) Math.min(AUTO_MAX_SAMPLES, Math.max(samples, tokenBudget / Math.max(1, summary.length(0))));
        }
        MicrobatchPlan plan = MicrobatchPlan.of(summary.lengths(), samples, tokenBudget, minFill(config));
        HeapCheck.blocker(plan.maxSlots(), spec.hiddenSize(), Runtime.getRuntime().maxMemory()).ifPresent(blockers::add);
        long peak = memory.peakBytes(gpu, plan.size(0), width) + unifiedExtra;
        DiskEstimate disk = outputs.estimate(summary);
        checkDisk(disk, blockers, warnings);
        double estimate = Double.NaN;
        String bottleneck = "";
        if (probe && blockers.isEmpty()) {
            Microbatch sample = probeMicrobatch(plan);
            double[] measured = probe(forward.get(device), sample);
            double computePerLayer = measured[1] * summary.totalTokens() / sample.realTokens();
            double perLayer = Math.max(measured[0], computePerLayer);
            bottleneck = measured[0] > computePerLayer ? "weight load" : "compute";
            estimate = measured[0] + perLayer * (deepest + 1);
        }
        return new Checked(new Plan(blockers, warnings, deviceName, engine, tf32, budget, summary.sampleCount(), summary.totalTokens(),
                deepest + 1, samples, tokenBudget, plan.count(), peak, weightBytes, disk.residual(), estimate, bottleneck, disk.peak(),
                choice), summary);
    }

    /** The engine line of the plan; loading the engine cannot fail the plan, only be reported in it. */
    private static String engineDescription() {
        try {
            return EngineInfo.current().describe();
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return "PyTorch engine did not load: " + e.getMessage();
        }
    }

    /**
     * Times the block forward at candidate sizes up to {@code maxSamples} prompts of {@code width} tokens on the
     * run's device and picks the fastest (see {@link MicrobatchChooser}); a probe that cannot run leaves the
     * memory-budget choice in place and says why.
     */
    private MicrobatchProbe chooseByThroughput(LazyProbe probes, Device device, int maxSamples, int width, double runSlots) {
        if (MicrobatchChooser.candidates(maxSamples, width).size() < 2) {
            return MicrobatchProbe.none("the largest that fits (only one candidate size)");
        }
        try {
            ForwardProbe forward = probes.get(device);
            return new MicrobatchChooser(device.isGpu()).choose(maxSamples, width, runSlots, forward::seconds, forward::elapsedSeconds);
        } catch (RuntimeException e) {
            return MicrobatchProbe.none("the largest that fits (the throughput probe failed: " + e.getMessage() + ")");
        }
    }

    private static int largestFitting(MemoryModel memory, boolean gpu, int width, long budget) {
        int lo = 0;
        int hi = AUTO_MAX_SAMPLES;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (memory.peakBytes(gpu, mid, width) <= budget) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    private void checkDisk(DiskEstimate disk, List<String> blockers, List<String> warnings) {
        if (!disk.undeclared().isEmpty()) {
            warnings.add("the disk estimate leaves out the outputs of " + String.join(", ", disk.undeclared())
                    + " (they do not implement OutputSize)");
        }
        try {
            long free = Files.getFileStore(workDir).getUsableSpace();
            if (free < disk.peak()) {
                blockers.add(String.format(Locale.ROOT, "the run needs about %,d bytes on disk in %s (%s) but only %,d are "
                        + "free; free space there, choose another output directory, write fewer layers, hooks or tokens "
                        + "(--pool last/mean), or use the BF16 residual transport", disk.peak(), workDir, disk.breakdown(),
                        free));
            } else if (free < disk.peak() + disk.peak() / 10) {
                warnings.add(String.format(Locale.ROOT, "%s has %,d bytes free, within 10%% of the %,d bytes the run needs "
                        + "(%s)", workDir, free, disk.peak(), disk.breakdown()));
            }
        } catch (IOException e) {
            warnings.add("cannot check free space in " + workDir + ": " + e.getMessage());
        }
    }

    /** Token slots the timed probe forward covers: enough to reach steady GEMM speed, small enough to stay quick. */
    static final int PROBE_SLOTS = 1024;

    /** The first samples of the first (longest) microbatch, about {@link #PROBE_SLOTS} padded slots. */
    private static Microbatch probeMicrobatch(MicrobatchPlan plan) {
        Microbatch first = plan.microbatch(0, PaddingSide.RIGHT);
        int count = Math.max(1, Math.min(first.size(), PROBE_SLOTS / first.width()));
        return Microbatch.ofLengths(Arrays.copyOf(first.sampleIds(), count), Arrays.copyOf(first.lengths(), count),
                PaddingSide.RIGHT);
    }

    /** Seconds to stage layer 0, and seconds for one forward of {@code mb} on random inputs (after a warm-up). */
    private static double[] probe(ForwardProbe forward, Microbatch mb) {
        return new double[] {forward.stageSeconds(), forward.seconds(mb)};
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
            needed.addAll(names.layerTensors(l));
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
                blockers.add("tensor \"" + ref.name() + "\" in " + headers.fileOf(ref.name()) + " has shape "
                        + Arrays.toString(info.shape()) + "; config.json implies " + Arrays.toString(ref.shape()));
            }
            switch (info.dtype()) {
                case F32, BF16, F16 -> { }
                default -> blockers.add("tensor \"" + ref.name() + "\" in " + headers.fileOf(ref.name()) + " has dtype "
                        + info.dtype() + "; weights must be F32, BF16 or F16");
            }
            if (i < layerTensors) {
                layerBytes += info.byteLength();
            }
        }
        return layerBytes;
    }
}
