package org.fpwap.extract;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.fpwap.forward.Hook;

/**
 * What {@code fpwap extract} was asked to do.
 *
 * @param model the HF model directory
 * @param input the JSONL prompts
 * @param out the output directory
 * @param layers the layers to extract, or empty for all
 * @param hooks the hooks to extract at each selected layer
 * @param pool how token activations are pooled per sample
 * @param finalNorm whether the last layer's {@code residual_post} is normalised (HF {@code hidden_states[-1]} parity)
 * @param format the output file format
 * @param microbatch samples per microbatch
 * @param device the compute device name ({@code cpu}, {@code cuda}, {@code cuda:N}, {@code mps})
 */
public record ExtractOptions(
        Path model,
        Path input,
        Path out,
        Optional<List<Integer>> layers,
        Set<Hook> hooks,
        Pool pool,
        boolean finalNorm,
        OutputFormat format,
        int microbatch,
        String device) {

    public ExtractOptions {
        requireNonNull(model, "model is null");
        requireNonNull(input, "input is null");
        requireNonNull(out, "out is null");
        requireNonNull(layers, "layers is null");
        layers = layers.map(List::copyOf);
        hooks = Set.copyOf(hooks);
        requireNonNull(pool, "pool is null");
        requireNonNull(format, "format is null");
        requireNonNull(device, "device is null");
        if (hooks.isEmpty()) {
            throw new IllegalArgumentException("at least one hook is needed");
        }
        if (microbatch <= 0) {
            throw new IllegalArgumentException("microbatch must be positive, got " + microbatch);
        }
    }
}
