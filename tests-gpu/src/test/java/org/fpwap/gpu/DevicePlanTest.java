package org.fpwap.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import org.fpwap.dataset.Dataset;
import org.fpwap.device.EngineInfo;
import org.fpwap.model.ModelFamily;
import org.fpwap.result.Result;
import org.fpwap.result.RunManifest;
import org.fpwap.sweep.Plan;
import org.fpwap.sweep.PlanException;
import org.fpwap.sweep.Sweep;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plan, the profile and the manifest say which device and which libtorch flavour a run uses; a missing device stops it first.
 * What "the loaded libtorch" is comes from the operating system ({@link LoadedLibtorch}), so these hold on DJL's 2.7.1 CPU build
 * and on a site's own CUDA PyTorch alike; the same logic on simulated engines runs in {@code DeviceErrorsTest}.
 */
class DevicePlanTest {

    @TempDir
    Path tmp;

    @Test
    void thePlanStatesDeviceEngineFlavourAndTf32() {
        Path model = Fixtures.model(tmp.resolve("model"), ModelFamily.LLAMA);
        try (Sweep sweep = Sweep.builder().model(model).dataset(Dataset.of(Fixtures.prompts())).callbacks(Fixtures.Record.everywhere())
                .device("cpu").build()) {
            Plan plan = sweep.preflight();
            String s = plan.summary();
            LoadedLibtorch loaded = LoadedLibtorch.orSkip();
            assertTrue(s.contains("device:      cpu"), s);
            assertTrue(s.contains("engine:      PyTorch " + loaded.version() + " (flavour " + loaded.flavour() + ", "), s);
            assertTrue(s.contains("TF32:        not applicable (no TF32 on cpu)"), s);
        }
    }

    @Test
    void aMissingDeviceIsABlockerAndTheRunStopsBeforeAnyWork() throws Exception {
        Path model = Fixtures.model(tmp.resolve("model"), ModelFamily.LLAMA);
        Path work = tmp.resolve("work");
        // cuda needs one visible GPU, cuda:N needs N + 1: only the ones this machine lacks are checked, and cuda:<visible>
        // is missing on every machine, so some CUDA name is always checked.
        int visible = EngineInfo.current().cudaDevices();
        for (String device : new LinkedHashSet<>(List.of("cuda", "cuda:1", "cuda:" + visible, "mps"))) {
            if (device.equals("mps") && System.getProperty("os.name").startsWith("Mac")) {
                continue;
            }
            if (device.equals("cuda") ? visible > 0 : device.startsWith("cuda:") && visible > Integer.parseInt(device.substring(5))) {
                continue;
            }
            try (Sweep sweep = Sweep.builder().model(model).dataset(Dataset.of(Fixtures.prompts()))
                    .callbacks(Fixtures.Record.everywhere()).device(device).workDir(work).build()) {
                Plan plan = sweep.preflight();
                assertFalse(plan.feasible());
                assertTrue(plan.blockers().getFirst().startsWith("device " + device + " requested"), plan.blockers().toString());
                String m = assertThrows(PlanException.class, sweep::run).getMessage();
                assertTrue(m.contains("device " + device + " requested"), m);
                try (var files = Files.list(work)) {
                    assertTrue(files.findAny().isEmpty(), "nothing was written before the device check");
                }
            }
        }
    }

    @Test
    void profileAndManifestNameTheLoadedEngine() throws Exception {
        Path model = Fixtures.model(tmp.resolve("model"), ModelFamily.LLAMA);
        try (Sweep sweep = Sweep.builder().model(model).dataset(Dataset.of(Fixtures.prompts())).callbacks(Fixtures.Record.everywhere())
                .build()) {
            Result result = sweep.run();
            JsonObject profile = JsonParser.parseString(result.profile().toJson()).getAsJsonObject();
            LoadedLibtorch loaded = LoadedLibtorch.orSkip();
            String flavour = loaded.flavour();
            JsonObject engine = profile.getAsJsonObject("engine");
            assertTrue(engine.get("flavour").getAsString().equals(flavour)
                    && engine.get("libtorch_version").getAsString().equals(loaded.version()), engine + " vs " + loaded);
            Path out = Files.createDirectories(tmp.resolve("out"));
            RunManifest.write(out, model, sweep.model(), new JsonObject(), 12, 100, List.of());
            JsonObject manifest = JsonParser.parseString(Files.readString(out.resolve("manifest.json"))).getAsJsonObject();
            assertTrue(manifest.getAsJsonObject("versions").get("pytorch_flavour").getAsString().equals(flavour), manifest.toString());
            assertEquals(loaded.version(), manifest.getAsJsonObject("versions").get("libtorch").getAsString(), manifest.toString());
            assertTrue(manifest.getAsJsonObject("engine").get("source").getAsString().length() > 0, manifest.toString());
        }
    }
}
