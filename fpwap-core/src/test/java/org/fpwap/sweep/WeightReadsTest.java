package org.fpwap.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.fpwap.callback.CallbackAction;
import org.fpwap.callback.Layers;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.Sample;
import org.fpwap.forward.Hook;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.profile.LayerProfile;
import org.fpwap.profile.Profile;
import org.fpwap.safetensors.SafetensorsHeader;
import org.fpwap.safetensors.TensorInfo;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The profile counts every weight byte the run stages, and the count is confirmed from outside the engine:
 * the checkpoint's pages are dropped from the page cache before the run, and afterwards {@code mincore}
 * shows which bytes of which layer were actually read from the file. The verify pass's second read of every
 * layer is counted separately; its expected value comes from the safetensors headers (the page cache cannot
 * tell a second read of a cached page from the first).
 *
 * <p>Checked to fail (scratch copy): with the prefetcher staging one layer past the deepest, uncounted, the
 * first test reports all 47,194,112 bytes of the never-processed layer 2 in the page cache.
 */
class WeightReadsTest {

    private static final int LAYERS = 4;
    private static final int DEEPEST = 1;
    /**
     * What the kernel may read beyond the pages the engine touched: mmap read-around and readahead windows are
     * up to the device's {@code read_ahead_kb} (8 MB on this machine's disk), so up to one window can spill into
     * the next layer in the file. A layer here is 47 MB, so a layer the engine never read stays far below this.
     */
    private static final long READ_AROUND_SLACK = 16L << 20;

    @TempDir
    Path tmp;

    private Path model(int layers) {
        Path dir = tmp.resolve("model-" + layers);
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).dims(1024, 16, 8, 64).intermediate(2816).vocab(1000)
                .maxPositions(128).layers(layers).build(), dir);
        return dir;
    }

    private static List<Sample> prompts() {
        return SweepTestData.prompts(3, 1000, 12, 7, 30, 5, 19, 3);
    }

    /** Bytes of {@code model.layers.<layer>.*} found in the page cache. */
    private static long residentLayerBytes(PageCache cache, boolean[] pages, SafetensorsHeader header, int layer) {
        long bytes = 0;
        for (TensorInfo t : header.tensors()) {
            if (t.name().startsWith("model.layers." + layer + ".")) {
                bytes += cache.residentBytes(pages, header.dataStart() + t.begin(), header.dataStart() + t.end());
            }
        }
        return bytes;
    }

    @Test
    void theLayerBytesTheProfileCountsAreTheBytesThePageCacheShowsWereRead() {
        PageCache cache = PageCache.linux();
        Assumptions.assumeTrue(cache != null, "needs Linux mincore/posix_fadvise");
        Path model = model(LAYERS);
        Path file = model.resolve("model.safetensors");
        SafetensorsHeader header = SafetensorsHeader.read(file);
        cache.evict(file);
        boolean[] before = cache.resident(file);
        long cachedBefore = cache.residentBytes(before, 0, header.fileSize());
        Assumptions.assumeTrue(cachedBefore == 0, "the page cache kept " + cachedBefore + " bytes of " + file
                + " after POSIX_FADV_DONTNEED (file system without eviction?)");

        TestCallback nothing = TestCallback.read("nothing", Layers.of(DEEPEST), Set.of(Hook.RESIDUAL_POST), b -> CallbackAction.nothing());
        Profile profile;
        try (Sweep sweep = Sweep.builder().model(model).dataset(Dataset.of(prompts())).microbatch(2).workDir(tmp.resolve("work"))
                .callbacks(nothing).build()) {
            profile = sweep.run().profile();
        }
        boolean[] after = cache.resident(file);

        long residentProcessed = 0;
        for (LayerProfile l : profile.layers()) {
            long resident = residentLayerBytes(cache, after, header, l.layer());
            assertEquals(SweepTestData.layerBytes(model, l.layer()), resident, "layer " + l.layer() + " is wholly in the page cache");
            assertEquals(resident, l.weightBytesRead(), "layer " + l.layer() + "'s profile count vs the bytes the kernel read");
            residentProcessed += resident;
        }
        assertEquals(DEEPEST + 1, profile.layers().size(), "early exit after layer " + DEEPEST);
        assertEquals(residentProcessed, profile.weightBytesRead(), "no final norm at early exit: the total is the layers'");
        for (int layer = DEEPEST + 1; layer < LAYERS; layer++) {
            long resident = residentLayerBytes(cache, after, header, layer);
            assertTrue(resident <= READ_AROUND_SLACK, "layer " + layer + " was never processed, yet " + resident + " of its "
                    + SweepTestData.layerBytes(model, layer) + " bytes are cached: the engine read weights the profile does not count");
        }
    }

    @Test
    void theVerifyPassesSecondReadIsCountedSeparatelyWithTheFinalNorm() {
        Path model = tmp.resolve("small");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(2).vocab(1000).build(), model);
        TestCallback nothing = TestCallback.read("nothing", Layers.all(), Set.of(Hook.RESIDUAL_POST), b -> CallbackAction.nothing());
        Profile plain;
        try (Sweep sweep = Sweep.builder().model(model).dataset(Dataset.of(prompts())).microbatch(2).workDir(tmp.resolve("w1"))
                .callbacks(nothing).build()) {
            plain = sweep.run().profile();
        }
        Profile verified;
        try (Sweep sweep = Sweep.builder().model(model).dataset(Dataset.of(prompts())).microbatch(2).workDir(tmp.resolve("w2"))
                .callbacks(nothing).verify(true).build()) {
            verified = sweep.run().profile();
        }
        long finalNorm = SafetensorsHeader.read(model.resolve("model.safetensors")).require("model.norm.weight").byteLength();
        long expected = SweepTestData.layerBytes(model, 0) + SweepTestData.layerBytes(model, 1) + finalNorm;
        assertEquals(expected, plain.weightBytesRead(), "streaming: both layers and the final norm, once");
        assertEquals(0, plain.verifyWeightBytesRead(), "no verify pass");
        assertEquals(expected, verified.weightBytesRead(), "streaming pass unchanged by verify");
        assertEquals(expected, verified.verifyWeightBytesRead(), "verify pass: everything read a second time");
        assertTrue(verified.toJson().contains("\"verify_weight_bytes_read\": " + expected), verified.toJson());
    }
}
