package org.fpwap.cli;

import java.io.PrintWriter;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.fpwap.sweep.ProgressEvent;
import org.fpwap.sweep.ProgressListener;

/**
 * Shows a sweep's progress: a live bar (layers × microbatches, real tok/s, ETA) on a terminal, or plain
 * lines at most every {@link #LINE_INTERVAL_NANOS} otherwise (CI, logs, pipes).
 */
final class ProgressPrinter implements ProgressListener, AutoCloseable {

    /** Minimum time between plain progress lines. */
    static final long LINE_INTERVAL_NANOS = 5_000_000_000L;

    private final PrintWriter out;
    private final boolean terminal;
    private final long startNanos = System.nanoTime();
    private ProgressBar bar;
    private long totalSteps;
    private long steps;
    private long tokens;
    private long totalTokens;
    private long lastLine;

    /** A printer to {@code out}; {@code terminal} picks the live bar. */
    ProgressPrinter(PrintWriter out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    /** Whether this process's stdout is an interactive terminal. */
    static boolean stdoutIsTerminal() {
        return System.console() != null && System.console().isTerminal();
    }

    @Override
    public void on(ProgressEvent event) {
        switch (event) {
            case ProgressEvent.RunStarted s -> {
                totalSteps = (long) s.layers() * s.microbatches();
                totalTokens = (long) s.layers() * s.tokens();
                if (terminal) {
                    bar = new ProgressBarBuilder().setTaskName("sweep").setInitialMax(totalSteps)
                            .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK).setUnit(" mb", 1).continuousUpdate().build();
                } else {
                    line(String.format(Locale.ROOT, "sweep: %d layers x %d microbatches, %,d tokens per layer",
                            s.layers(), s.microbatches(), s.tokens()));
                }
            }
            case ProgressEvent.LayerStarted l -> {
                if (bar != null) {
                    bar.setExtraMessage(" layer " + l.layer());
                }
            }
            case ProgressEvent.MicrobatchDone m -> {
                steps++;
                tokens += m.tokens();
                if (bar != null) {
                    bar.stepTo(steps);
                    bar.setExtraMessage(String.format(Locale.ROOT, " layer %d, %,.0f tok/s", m.layer(), tokensPerSecond()));
                } else if (System.nanoTime() - lastLine >= LINE_INTERVAL_NANOS) {
                    double elapsed = (System.nanoTime() - startNanos) / 1e9;
                    double eta = tokens == 0 ? 0 : elapsed * (totalTokens - tokens) / tokens;
                    line(String.format(Locale.ROOT, "layer %d microbatch %d: %d/%d steps done, %,.0f tok/s, ETA %.0f s",
                            m.layer(), m.index() + 1, steps, totalSteps, tokensPerSecond(), eta));
                }
            }
            case ProgressEvent.LayerFinished f -> {
                if (bar == null && System.nanoTime() - lastLine >= LINE_INTERVAL_NANOS) {
                    line(String.format(Locale.ROOT, "layer %d finished in %.1f s", f.layer(), f.seconds()));
                }
            }
            case ProgressEvent.RunFinished r -> close();
        }
    }

    private double tokensPerSecond() {
        double elapsed = (System.nanoTime() - startNanos) / 1e9;
        return elapsed > 0 ? tokens / elapsed : 0;
    }

    private void line(String text) {
        out.println(text);
        out.flush();
        lastLine = System.nanoTime();
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
