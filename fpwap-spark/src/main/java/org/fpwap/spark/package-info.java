/**
 * Data-parallel sweeps on Apache Spark: the driver cuts the dataset into shards of whole single-machine
 * microbatches, each Spark task runs the ordinary {@link org.fpwap.sweep.Sweep} over its shard with the same
 * microbatching, and the driver merges the callbacks' {@link org.fpwap.callback.CallbackState}s with Spark's
 * aggregation and places the shards' rows in dataset order. Depends on core and the callbacks; nothing below depends on it.
 */
package org.fpwap.spark;
