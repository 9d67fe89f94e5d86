package org.fpwap.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * How much of a mapped file this process holds resident, read from {@code /proc/self/smaps}: the sum of the
 * {@code Rss} of every mapping of that file. What the kernel counts towards the process's resident set, which is
 * what a long run must keep from growing with its data. Linux only.
 */
public final class MappedResidency {

    private MappedResidency() {}

    /** Whether {@code /proc/self/smaps} can be read here. */
    public static boolean available() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")
                && Files.isReadable(Path.of("/proc/self/smaps"));
    }

    /** Resident bytes of every mapping of {@code file} (0 when it is not mapped). */
    public static long residentBytes(Path file) throws IOException {
        String name = file.toAbsolutePath().normalize().toString();
        return resident(path -> path.equals(name));
    }

    /** Resident bytes of every mapping of a file in {@code directory} (temporary files included). */
    public static long residentBytesUnder(Path directory) throws IOException {
        String prefix = directory.toAbsolutePath().normalize() + "/";
        return resident(path -> path.startsWith(prefix));
    }

    private static long resident(java.util.function.Predicate<String> mappedPath) throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc/self/smaps"));
        long kb = 0;
        boolean inFile = false;
        for (String line : lines) {
            if (isMappingHeader(line)) {
                int slash = line.indexOf(" /");
                inFile = slash >= 0 && mappedPath.test(line.substring(slash + 1));
            } else if (inFile && line.startsWith("Rss:")) {
                kb += Long.parseLong(line.substring(4).trim().split("\\s+")[0]);
            }
        }
        return kb * 1024;
    }

    private static boolean isMappingHeader(String line) {
        int dash = line.indexOf('-');
        int space = line.indexOf(' ');
        return dash > 0 && space > dash && line.substring(0, dash).chars().allMatch(c -> Character.digit(c, 16) >= 0);
    }
}
