package io.isochron.jitter;

import io.isochron.api.runtime.JitterStats;
import org.HdrHistogram.Histogram;

/**
 * Wake-up latencies of one source over one window, in whole microseconds (truncated, as cyclictest
 * reports them, so both sources compare). Percentiles come from HdrHistogram; min, max and the mean
 * are exact. Not thread-safe: each window has one writer, or its owner locks.
 */
public final class LatencyWindow {
    /** Three significant digits: exact to 1 µs up to 2 ms, within 0.1 % above. */
    private final Histogram histogram = new Histogram(3);
    private long count;
    private double sumMicros;
    private long min = Long.MAX_VALUE;
    private long max = Long.MIN_VALUE;
    private long overruns;

    public void record(long micros) {
        record(micros, 1);
    }

    public void record(long micros, long times) {
        if (micros < 0) {
            throw new IllegalArgumentException("latency " + micros + " µs is negative");
        }
        if (times <= 0) {
            return;
        }
        histogram.recordValueWithCount(micros, times);
        count += times;
        sumMicros += (double) micros * times;
        min = Math.min(min, micros);
        max = Math.max(max, micros);
    }

    public void addOverruns(long missed) {
        overruns += missed;
    }

    /** Adds everything another window holds (e.g. samples collected by a reader thread). */
    public void add(LatencyWindow other) {
        if (other.count > 0) {
            histogram.add(other.histogram);
            count += other.count;
            sumMicros += other.sumMicros;
            min = Math.min(min, other.min);
            max = Math.max(max, other.max);
        }
        overruns += other.overruns;
    }

    public long samples() {
        return count;
    }

    public long overruns() {
        return overruns;
    }

    public void reset() {
        histogram.reset();
        count = 0;
        sumMicros = 0;
        min = Long.MAX_VALUE;
        max = Long.MIN_VALUE;
        overruns = 0;
    }

    /** The window's statistics; all zero when it holds no sample. */
    public JitterStats stats(String source, long cycleMicros) {
        if (count == 0) {
            return new JitterStats(source, cycleMicros, 0, 0, 0, 0, 0, 0, overruns);
        }
        return new JitterStats(source, cycleMicros, min, sumMicros / count, max, percentile(99.0), percentile(99.9), count,
                overruns);
    }

    /**
     * HdrHistogram answers with the upper end of the value's bucket (buckets are wider than 1 µs
     * above 2 ms), which can exceed the largest latency seen; no sample lies above {@code max}.
     */
    private long percentile(double p) {
        return Math.min(histogram.getValueAtPercentile(p), max);
    }

    /** A latency as percent of the cycle it belongs to. */
    public static double percentOfCycle(double micros, long cycleMicros) {
        return cycleMicros <= 0 ? 0 : micros * 100.0 / cycleMicros;
    }
}
