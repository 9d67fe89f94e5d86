package org.fpwap.safetensors;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a checkpoint tensor lives: its file and its validated header entry.
 *
 * @param file the safetensors file (shard) holding the tensor
 * @param info the tensor's entry in that file's header
 */
public record TensorLocation(Path file, TensorInfo info) {
    /** Checks that neither component is null. */
    public TensorLocation {
        Objects.requireNonNull(file, "file is null");
        Objects.requireNonNull(info, "info is null");
    }
}
