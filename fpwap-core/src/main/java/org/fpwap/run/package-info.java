/**
 * A run's life on disk beyond one process: the crash-safe {@link org.fpwap.run.Journal} a resumable sweep
 * commits at every layer end, the {@link org.fpwap.run.RunIdentity} a resume must match, the
 * {@link org.fpwap.run.RunLock} that keeps two processes out of one directory, and the
 * {@link org.fpwap.run.StopToken} through which Ctrl-C or SIGTERM ask a sweep to stop at a safe point.
 */
package org.fpwap.run;
