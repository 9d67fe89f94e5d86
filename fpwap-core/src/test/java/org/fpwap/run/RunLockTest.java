package org.fpwap.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run lock: a second holder is refused at once with the first's process id; closing releases it.
 * (A crashed holder's lock is dropped by the kernel: {@code KillAndResumeTest} in fpwap-cli kills one.)
 */
class RunLockTest {

    @TempDir
    Path dir;

    @Test
    void aSecondLockIsRefusedNamingTheHoldersProcessId() throws Exception {
        try (RunLock first = RunLock.acquire(dir)) {
            assertEquals(ProcessHandle.current().pid() + "\n", Files.readString(first.path()));
            RunDirectoryException e = assertThrows(RunDirectoryException.class, () -> RunLock.acquire(dir));
            assertTrue(e.getMessage().contains("in use by another fpwap run (process " + ProcessHandle.current().pid() + ","),
                    e.getMessage());
        }
    }

    @Test
    void closingReleasesTheLock() {
        RunLock.acquire(dir).close();
        try (RunLock again = RunLock.acquire(dir)) {
            assertTrue(Files.exists(again.path()));
        }
    }

    @Test
    void aStopTokenKeepsTheFirstReasonAndStopsAtTheCheck() {
        StopToken token = new StopToken();
        token.check("nothing");
        token.request("SIGTERM");
        token.request("SIGINT");
        RunStoppedException e = assertThrows(RunStoppedException.class, () -> token.check("layer 3"));
        assertEquals("SIGTERM", e.reason());
        assertEquals("stopped (SIGTERM) after layer 3", e.getMessage());
    }
}
