/**
 * JMH micro-benchmarks. Each reports its rate as JMH operations per second plus an
 * {@link org.openjdk.jmh.annotations.AuxCounters} secondary metric ({@code bytes} or {@code flops} per
 * second) that {@code org.fpwap.bench.JmhSummary} turns into GB/s and GFLOP/s.
 */
package org.fpwap.bench.jmh;
