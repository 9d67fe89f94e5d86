package org.fpwap.model;

import java.nio.file.Path;

/** A {@code config.json} we cannot compute exactly: the message names the file, the key and the value. */
public final class ModelConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /** Creates the exception for {@code file}. */
    public ModelConfigException(Path file, String message) {
        super(file + ": " + message);
        this.file = file;
    }

    /** The config file at fault. */
    public Path file() {
        return file;
    }
}
