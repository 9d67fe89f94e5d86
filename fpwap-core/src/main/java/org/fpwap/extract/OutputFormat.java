package org.fpwap.extract;

/** The file format activations are written in. */
public enum OutputFormat {
    /** Arrow IPC file: {@code sample_id}, {@code label}, {@code activation} columns. */
    ARROW,
    /** safetensors: {@code activations}, {@code sample_ids} and, for ragged output, {@code offsets}. */
    SAFETENSORS
}
