/** JMH micro-benchmarks and the end-to-end comparison harness (the benchmark issue). */
package org.fpwap.bench;
