package org.fpwap.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/** Process CPU time from {@code /proc/self/stat}, split into user and system. */
class CpuTimesTest {

    @Test
    void readsUtimeAndStimeAfterACommandNameWithSpacesAndParentheses() {
        // fields 14 and 15 are utime = 250 and stime = 75 ticks (USER_HZ = 100)
        String stat = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 75 0 0 20 0 30 0 100 1000 200";
        CpuTimes t = CpuTimes.parseStat(stat);
        assertEquals(2.5, t.userSeconds(), 1e-12);
        assertEquals(0.75, t.systemSeconds(), 1e-12);
    }

    @Test
    void userTimeGrowsWithWorkAndAgreesWithTheJvmsProcessCpuTime() {
        CpuTimes before = CpuTimes.ofProcess();
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long jvmBefore = os.getProcessCpuTime();
        double x = 0;
        // Work until the JVM's own clock has seen 0.4 s of CPU (not wall time: the machine is shared and loaded).
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (os.getProcessCpuTime() - jvmBefore < 400_000_000L && System.nanoTime() < deadline) {
            for (int i = 0; i < 100_000; i++) {
                x += Math.sqrt(i + x);
            }
        }
        CpuTimes spent = CpuTimes.ofProcess().minus(before);
        double jvm = (os.getProcessCpuTime() - jvmBefore) / 1e9;
        assertTrue(x > 0);
        assertTrue(spent.userSeconds() > 0.1, "user time " + spent);
        // an independent clock (the JVM's getrusage-based figure) sees the same total, within tick resolution
        assertEquals(jvm, spent.userSeconds() + spent.systemSeconds(), 0.05 + 0.1 * jvm);
    }
}
