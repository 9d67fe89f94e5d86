package org.fpwap.sweep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.fpwap.callback.Artifact;
import org.fpwap.callback.ArtifactTensor;
import org.fpwap.callback.Batch;
import org.fpwap.callback.Callback;
import org.fpwap.callback.CallbackAction;
import org.fpwap.callback.LayerSelection;
import org.fpwap.callback.Layers;
import org.fpwap.dataset.Dataset;
import org.fpwap.forward.Hook;
import org.fpwap.model.ModelFamily;
import org.fpwap.modelgen.RandomModelConfig;
import org.fpwap.modelgen.RandomModelWriter;
import org.fpwap.result.OutputFormat;
import org.fpwap.result.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End-of-layer and end-of-sweep artifacts reach the Result and are exported as safetensors files that
 * read back identically; a callback sees each of its layers' batches before that layer's end.
 */
class ArtifactsTest {

    @TempDir
    Path tmp;

    /** Counts the real tokens it saw per layer and reports the count as an artifact. */
    static final class TokenCounter implements Callback {
        private final long[] tokens = new long[8];

        @Override
        public LayerSelection layers() {
            return Layers.of(0, 2);
        }

        @Override
        public Set<Hook> hooks() {
            return Set.of(Hook.ATTN_OUT);
        }

        @Override
        public CallbackAction onBatch(Batch batch) {
            for (int b = 0; b < batch.size(); b++) {
                tokens[batch.layer()] += batch.length(b);
            }
            return CallbackAction.nothing();
        }

        @Override
        public List<Artifact> onLayerEnd(int layer) {
            return List.of(new Artifact("token_count", OptionalInt.of(layer), Optional.of(Hook.ATTN_OUT),
                    Map.of("tokens", ArtifactTensor.i64(new long[] {1}, new long[] {tokens[layer]})), Map.of("note", "test")));
        }

        @Override
        public List<Artifact> onSweepEnd() {
            return List.of(new Artifact("total", OptionalInt.empty(), Optional.empty(),
                    Map.of("tokens", ArtifactTensor.f32(new long[] {1}, new float[] {tokens[0] + tokens[2]})), Map.of()));
        }
    }

    @Test
    void layerAndSweepArtifactsAreReturnedAndExported() {
        Path model = tmp.resolve("model");
        RandomModelWriter.write(RandomModelConfig.builder(ModelFamily.LLAMA).layers(3).build(), model);
        var samples = SweepTestData.prompts(5, 128, 5, 9, 1, 12);
        long realTokens = 5 + 9 + 1 + 12;
        try (Sweep sweep = Sweep.builder().model(model).dataset(Dataset.of(samples)).callbacks(new TokenCounter())
                .microbatch(3).build()) {
            Result result = sweep.run();
            Artifact layer2 = result.artifact("token_count", 2, Hook.ATTN_OUT);
            assertArrayEquals(new long[] {realTokens}, ((ArtifactTensor.I64) layer2.tensor("tokens")).data());
            List<Path> files = result.export(tmp.resolve("out"), OutputFormat.SAFETENSORS);
            Path file = tmp.resolve("out/layer-2/attn_out.token_count.safetensors");
            assertTrue(files.contains(file), files.toString());
            Artifact back = Artifact.read(file);
            assertEquals(layer2, back);
            Artifact total = Artifact.read(tmp.resolve("out/total.safetensors"));
            assertArrayEquals(new float[] {2 * realTokens}, ((ArtifactTensor.F32) total.tensor("tokens")).data());
        }
    }
}
