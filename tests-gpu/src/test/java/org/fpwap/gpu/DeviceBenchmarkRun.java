package org.fpwap.gpu;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Runs {@link DeviceBenchmark} from Maven (which provides the classpath and JVM flags):
 * {@code mvn -pl tests-gpu -am test -Dtest=DeviceBenchmarkRun -Dsurefire.failIfNoSpecifiedTests=false -Dfpwap.bench.device=cuda}.
 * Skipped unless {@code fpwap.bench.device} is set; {@code fpwap.bench.args} adds {@code key=value} options.
 */
class DeviceBenchmarkRun {

    @Test
    void benchmarkTheDevice() throws Exception {
        String device = System.getProperty("fpwap.bench.device", "");
        Assumptions.assumeFalse(device.isBlank(), "a benchmark, not a test: set -Dfpwap.bench.device=cuda (scripts/gpu-check does)");
        String extra = System.getProperty("fpwap.bench.args", "").trim();
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("device=" + device,
                "out=" + System.getProperty("fpwap.bench.results", "fpwap-bench/results")));
        if (!extra.isEmpty()) {
            args.addAll(java.util.List.of(extra.split("\\s+")));
        }
        DeviceBenchmark.main(args.toArray(String[]::new));
    }
}
