package org.fpwap.gpu;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
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

/** The plan, the profile and the manifest say which device and which libtorch flavour a run uses; a missing device stops it first. */
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
            assertTrue(s.contains("device:      cpu"), s);
            assertTrue(s.contains("engine:      PyTorch 2.7.1 (flavour " + EngineInfo.current().flavour()), s);
            assertTrue(s.contains("TF32:        not applicable (no TF32 on cpu)"), s);
        }
    }

    @Test
    void aMissingDeviceIsABlockerAndTheRunStopsBeforeAnyWork() throws Exception {
        Path model = Fixtures.model(tmp.resolve("model"), ModelFamily.LLAMA);
        Path work = tmp.resolve("work");
        for (String device : List.of("cuda", "cuda:1", "mps")) {
            if (device.equals("mps") && System.getProperty("os.name").startsWith("Mac")) {
                continue;
            }
            if (device.startsWith("cuda") && EngineInfo.current().cudaDevices() > 1) {
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
            String flavour = EngineInfo.current().flavour();
            JsonObject engine = profile.getAsJsonObject("engine");
            assertTrue(engine.get("flavour").getAsString().equals(flavour) && engine.get("libtorch_version").getAsString().equals("2.7.1"),
                    engine.toString());
            Path out = Files.createDirectories(tmp.resolve("out"));
            RunManifest.write(out, model, sweep.model(), new JsonObject(), 12, 100, List.of());
            JsonObject manifest = JsonParser.parseString(Files.readString(out.resolve("manifest.json"))).getAsJsonObject();
            assertTrue(manifest.getAsJsonObject("versions").get("pytorch_flavour").getAsString().equals(flavour), manifest.toString());
            assertTrue(manifest.getAsJsonObject("engine").get("source").getAsString().length() > 0, manifest.toString());
        }
    }
}
