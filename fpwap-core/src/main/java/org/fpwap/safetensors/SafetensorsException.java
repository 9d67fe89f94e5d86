package org.fpwap.safetensors;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * A safetensors file, index or checkpoint directory is malformed, missing, or lacks a tensor.
 *
 * <p>Like Lucene's resource descriptions, the message always starts with the file (and the tensor
 * when one is involved), so a failure deep inside a sweep still says which file to fix.
 */
public final class SafetensorsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String tensor;

    /**
     * Creates an exception about a whole file.
     *
     * @param file the offending file (or directory)
     * @param detail what is wrong: expected and actual values
     */
    public SafetensorsException(Path file, String detail) {
        this(file, null, detail, null);
    }

    /**
     * Creates an exception about one tensor of a file.
     *
     * @param file the offending file
     * @param tensor the tensor name, or {@code null} if no tensor is involved
     * @param detail what is wrong: expected and actual values
     */
    public SafetensorsException(Path file, String tensor, String detail) {
        this(file, tensor, detail, null);
    }

    /**
     * Creates an exception with an underlying cause (an I/O or JSON error).
     *
     * @param file the offending file
     * @param tensor the tensor name, or {@code null} if no tensor is involved
     * @param detail what is wrong: expected and actual values
     * @param cause the underlying error, or {@code null}
     */
    public SafetensorsException(Path file, String tensor, String detail, Throwable cause) {
        super(format(file, tensor, detail), cause);
        this.file = Objects.requireNonNull(file, "file is null");
        this.tensor = tensor;
    }

    /**
     * Returns the file (or checkpoint directory or index file) the error is about.
     *
     * @return the offending path
     */
    public Path file() {
        return file;
    }

    /**
     * Returns the tensor the error is about, if any.
     *
     * @return the tensor name, or empty for file-level errors
     */
    public Optional<String> tensor() {
        return Optional.ofNullable(tensor);
    }

    private static String format(Path file, String tensor, String detail) {
        StringBuilder message = new StringBuilder("safetensors file ").append(file);
        if (tensor != null) {
            message.append(", tensor \"").append(tensor).append('"');
        }
        return message.append(": ").append(detail).toString();
    }
}
