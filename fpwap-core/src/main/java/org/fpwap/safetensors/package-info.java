/**
 * A small, strict, memory-mapped reader and writer for the
 * <a href="https://github.com/huggingface/safetensors">safetensors</a> format.
 *
 * <p>Reading: {@link org.fpwap.safetensors.SafetensorsHeader} parses and validates a header without
 * mapping the file (fast preflight); {@link org.fpwap.safetensors.SafetensorsFile} maps one file;
 * {@link org.fpwap.safetensors.Checkpoint} opens a Hugging Face model directory (single file or
 * sharded with {@code model.safetensors.index.json}). Validation is as strict as the Rust
 * {@code safetensors} crate, and every failure is a {@link org.fpwap.safetensors.SafetensorsException}
 * naming the file, the tensor and the expected and actual values.
 *
 * <p>Writing: {@link org.fpwap.safetensors.SafetensorsWriter} for heap-sized files and
 * {@link org.fpwap.safetensors.MappedSafetensorsWriter} for outputs larger than the heap; both
 * write to a temporary file and move it into place atomically.
 *
 * <p>{@link org.fpwap.safetensors.Widening} converts BF16 and F16 to F32 exactly, without DJL
 * (which has no BF16).
 */
package org.fpwap.safetensors;
