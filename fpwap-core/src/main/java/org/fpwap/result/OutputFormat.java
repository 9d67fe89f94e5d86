package org.fpwap.result;

/** The file format emitted activations are exported in. */
public enum OutputFormat {
    /** Arrow IPC file: {@code sample_id}, {@code label}, {@code activation} columns. */
    ARROW,
    /** safetensors: {@code activations}, {@code sample_ids} and, for per-token output, {@code offsets}. */
    SAFETENSORS
}
