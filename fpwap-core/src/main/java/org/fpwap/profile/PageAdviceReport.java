package org.fpwap.profile;

/**
 * Whether the residual buffer's page advice ({@code madvise}) reached the kernel during a run. The flat resident
 * set with dataset size rests on {@code MADV_DONTNEED}, so a platform without it, or refused calls, are reported
 * rather than swallowed.
 *
 * @param nativeAdvice true when advice went to {@code madvise}; false for the no-op fallback
 * @param failures calls the kernel refused
 */
public record PageAdviceReport(boolean nativeAdvice, long failures) {

    /** What a profile says when nothing was recorded. */
    public static final PageAdviceReport UNKNOWN = new PageAdviceReport(false, 0);
}
