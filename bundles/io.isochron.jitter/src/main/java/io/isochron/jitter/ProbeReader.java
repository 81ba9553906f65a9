package io.isochron.jitter;

/**
 * Turns the probe's cumulative counters into windows: each call adds what happened since the
 * previous call. Latencies in the overflow bucket have no exact value; they are counted at the
 * window's maximum when the probe's all-time maximum rose in the window (it did, unless an earlier
 * overflow was larger), else at the histogram's upper end — either way not below their true bucket.
 */
public final class ProbeReader {
    private NativeProbe.Snapshot previous;

    /** @param latest the probe's current snapshot; the first call measures from the probe's start */
    public void addDelta(NativeProbe.Snapshot latest, LatencyWindow window) {
        long[] now = latest.histogram();
        long[] before = previous == null ? new long[now.length] : previous.histogram();
        int range = now.length - 1;
        for (int i = 0; i < range; i++) {
            long d = now[i] - before[i];
            if (d > 0) {
                window.record(i, d);
            }
        }
        long overflow = now[range] - before[range];
        if (overflow > 0) {
            boolean newMax = previous == null || latest.maxNanos() > previous.maxNanos();
            window.record(newMax ? Math.max(range, latest.maxNanos() / 1000) : range, overflow);
        }
        window.addOverruns(latest.overruns() - (previous == null ? 0 : previous.overruns()));
        previous = latest;
    }
}
