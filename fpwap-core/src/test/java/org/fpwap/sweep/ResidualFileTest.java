package org.fpwap.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.fpwap.buffer.ResidualBuffer;
import org.fpwap.callback.CallbackAction;
import org.fpwap.callback.Layers;
import org.fpwap.dataset.Dataset;
import org.fpwap.dataset.Sample;
import org.fpwap.forward.Hook;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The residual buffer file holds real tokens only ({@code tokens × H × bytes per element}, no header, no
 * pads), stays when kept and is gone after the run otherwise.
 */
class ResidualFileTest {

    private static final int H = 64;

    @TempDir
    static Path tmp;

    static Path model;
    static final List<Sample> DATA = SweepTestData.prompts(8, 128, 13, 1, 6, 6, 2, 9, 11);

    @BeforeAll
    static void makeModel() {
        model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.MISTRAL).layers(2).build(), model);
    }

    private static Sweep sweep(Path work, boolean keep, ResidualBuffer.Transport transport) {
        return Sweep.builder().model(model).dataset(Dataset.of(DATA)).microbatch(3).workDir(work).keepResidual(keep)
                .residualTransport(transport)
                .callbacks(TestCallback.read("noop", Layers.all(), Set.of(Hook.RESIDUAL_POST), b -> CallbackAction.nothing()))
                .build();
    }

    @Test
    void aKeptFp32ResidualFileHoldsExactlyTheRealTokens() throws IOException {
        Path work = tmp.resolve("keep-fp32");
        try (Sweep sweep = sweep(work, true, ResidualBuffer.Transport.FP32)) {
            sweep.run();
            Path file = work.resolve("residual.fp32.bin");
            assertTrue(Files.exists(file), "kept residual file missing");
            assertEquals(SweepTestData.realTokens(DATA) * H * 4, Files.size(file));
        }
        assertTrue(Files.exists(work.resolve("residual.fp32.bin")), "a kept residual file must survive close()");
    }

    @Test
    void aKeptBf16ResidualFileIsHalfTheSize() throws IOException {
        Path work = tmp.resolve("keep-bf16");
        try (Sweep sweep = sweep(work, true, ResidualBuffer.Transport.BF16)) {
            sweep.run();
            assertEquals(SweepTestData.realTokens(DATA) * H * 2, Files.size(work.resolve("residual.bf16.bin")));
            assertFalse(Files.exists(work.resolve("residual.fp32.bin")));
        }
    }

    @Test
    void anUnkeptResidualFileIsGoneWhenTheRunReturns() {
        for (ResidualBuffer.Transport t : ResidualBuffer.Transport.values()) {
            Path work = tmp.resolve("nokeep-" + t);
            try (Sweep sweep = sweep(work, false, t)) {
                sweep.run();
                assertFalse(Files.exists(work.resolve(t.fileName())), t + " residual file left after the run");
            }
            assertTrue(Files.isDirectory(work), "a named work directory is the caller's and must stay");
        }
    }

    @Test
    void anUnkeptResidualFileIsGoneWhenTheRunFails() {
        Path work = tmp.resolve("failed");
        try (Sweep sweep = Sweep.builder().model(model).dataset(Dataset.of(DATA)).microbatch(3).workDir(work)
                .callbacks(TestCallback.read("boom", Layers.of(1), Set.of(Hook.ATTN_OUT), b -> {
                    throw new IllegalStateException("boom");
                }))
                .build()) {
            org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, sweep::run);
            assertFalse(Files.exists(work.resolve("residual.fp32.bin")));
        }
    }
}
