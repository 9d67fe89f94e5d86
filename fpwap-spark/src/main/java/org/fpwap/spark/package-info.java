/**
 * Data-parallel sweeps on Apache Spark: the dataset is cut into contiguous ranges of samples, each Spark task
 * runs the ordinary {@link org.fpwap.sweep.Sweep} over its range, and the driver merges the callbacks'
 * {@link org.fpwap.callback.CallbackState}s with Spark's aggregation and concatenates the emit shards in dataset
 * order. Depends on core and the callbacks; nothing below depends on it.
 */
package org.fpwap.spark;
