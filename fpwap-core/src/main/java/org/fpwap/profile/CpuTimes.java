package org.fpwap.profile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time the whole process has used, split as the kernel accounts it: {@code user} (our code, libtorch's
 * kernels) and {@code system} (page faults, zero-filling fresh mappings, {@code mmap}/{@code munmap}). A run
 * whose system share is large spends its time allocating rather than computing.
 *
 * @param userSeconds user-mode CPU seconds, summed over all threads
 * @param systemSeconds kernel-mode CPU seconds, summed over all threads
 */
public record CpuTimes(double userSeconds, double systemSeconds) {

    /** No time, or no way to read it (not Linux). */
    public static final CpuTimes ZERO = new CpuTimes(0, 0);

    /**
     * Clock ticks per second of {@code /proc/self/stat}'s {@code utime}/{@code stime}: Linux reports them in
     * {@code USER_HZ}, fixed at 100 on every architecture the kernel exports to user space.
     */
    private static final double USER_HZ = 100;

    private static final Path STAT = Path.of("/proc/self/stat");

    /** This process's CPU times so far, or {@link #ZERO} where {@code /proc/self/stat} cannot be read. */
    public static CpuTimes ofProcess() {
        try {
            return parseStat(Files.readString(STAT));
        } catch (IOException | RuntimeException e) {
            return ZERO;
        }
    }

    /**
     * Reads {@code utime} and {@code stime} (fields 14 and 15) from a {@code /proc/<pid>/stat} line. The
     * command name (field 2) may contain spaces and parentheses, so fields are counted from its last ')'.
     */
    static CpuTimes parseStat(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            throw new IllegalArgumentException("not a /proc/<pid>/stat line: " + stat);
        }
        String[] rest = stat.substring(close + 1).trim().split("\\s+");
        // rest[0] is field 3 (state), so field n is rest[n - 3].
        return new CpuTimes(Long.parseLong(rest[11]) / USER_HZ, Long.parseLong(rest[12]) / USER_HZ);
    }

    /** The time spent between {@code earlier} and this reading. */
    public CpuTimes minus(CpuTimes earlier) {
        return new CpuTimes(userSeconds - earlier.userSeconds, systemSeconds - earlier.systemSeconds);
    }

    /** The sum of two spans. */
    public CpuTimes plus(CpuTimes other) {
        return new CpuTimes(userSeconds + other.userSeconds, systemSeconds + other.systemSeconds);
    }
}
