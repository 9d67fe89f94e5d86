/**
 * The residual stream of the whole dataset between layers, on disk.
 *
 * <p>{@link org.fpwap.buffer.ResidualBuffer} is one memory-mapped file of FP32 (or, lossy, BF16)
 * token rows holding real tokens only, packed in processing order; it reads microbatches into
 * zero-padded blocks and writes their real rows back in place. Failures to create or touch the file
 * are {@link org.fpwap.buffer.ResidualBufferException}s naming the path;
 * {@link org.fpwap.buffer.InsufficientDiskSpaceException} says how many bytes are needed and free.
 */
package org.fpwap.buffer;
