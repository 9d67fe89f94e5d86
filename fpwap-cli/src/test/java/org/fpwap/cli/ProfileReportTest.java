package org.fpwap.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.model.ModelSpec;
import org.fpwap.profile.CpuTimes;
import org.fpwap.profile.LayerProfile;
import org.fpwap.profile.PageAdviceReport;
import org.fpwap.profile.Profile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI's profile table shows the verify pass's weight reads and any page-advice trouble; quiet when all is well. */
class ProfileReportTest {

    @TempDir
    java.nio.file.Path tmp;

    private ModelSpec spec() {
        return RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(1).build(), tmp.resolve("m"));
    }

    @Test
    void refusedAdviceAndVerifyReadsAreShown() {
        Profile p = new Profile(10, 1, 0, 100, 0, 0, 0, List.of(), java.util.Map.of(), 100, new PageAdviceReport(true, 3));
        String table = ProfileReport.render(p, spec());
        assertTrue(table.contains("weights read again (verify)  100 B"), table);
        assertTrue(table.contains("3 madvise calls refused"), table);
    }

    @Test
    void nativeAdviceWithoutRefusalsAndNoVerifyAddNoLines() {
        Profile p = new Profile(10, 1, 0, 100, 0, 0, 0, List.of(), java.util.Map.of(), 0, new PageAdviceReport(true, 0));
        String table = ProfileReport.render(p, spec());
        assertFalse(table.contains("verify"), table);
        assertFalse(table.contains("page advice"), table);
    }

    @Test
    void userAndSystemCpuTimeAreSummedOverLayersWithTheSystemShare() {
        List<LayerProfile> layers = List.of(new LayerProfile(0, 0, 0, 1, 0, 0, 0, new CpuTimes(2.0, 0.5)),
                new LayerProfile(1, 0, 0, 1, 0, 0, 0, new CpuTimes(1.0, 1.5)));
        Profile p = new Profile(10, 1, 0, 100, 0, 0, 0, layers, java.util.Map.of(), 0, new PageAdviceReport(true, 0));
        String table = ProfileReport.render(p, spec());
        assertTrue(table.contains("3.00 s user, 2.00 s system (40% system)"), table);
        assertTrue(p.toJson().contains("\"sys_s\": 2.0"), p.toJson());
    }
}
