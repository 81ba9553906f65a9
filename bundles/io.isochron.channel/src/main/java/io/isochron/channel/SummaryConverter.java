package io.isochron.channel;

import io.isochron.api.IoCategory;
import io.isochron.api.scheduling.RunQueueSummary;

/**
 * Turns a decoded frame into one {@link RunQueueSummary} per vCPU, as docs/protocol.md "From a frame
 * to a classification" says: CPU delta → expected CPU time; byte deltas → percent of each
 * component's configured capacity over the guest-time interval; a category hint replaces the
 * measured activity. Converting allocates nothing; an instance keeps a scratch row and is meant for
 * one thread (one per channel, like its {@link FrameReader}).
 */
public final class SummaryConverter {
    private final double[] bytesPerSecond;
    private final long defaultIntervalNanos;
    private final double[] row = new double[IoCategory.COMPONENT_COUNT];

    /**
     * @param bytesPerSecond capacity of each component, indexed GPU, RAM, CACHE, ETHERNET, BUS,
     *     STORAGE (6 values, each &gt; 0; the bridge configuration)
     * @param defaultIntervalNanos the guest's summary interval, used when a frame's own interval is
     *     unknown (first frame, frames lost, guest restarted), &gt; 0
     */
    public SummaryConverter(double[] bytesPerSecond, long defaultIntervalNanos) {
        if (bytesPerSecond.length != IoCategory.COMPONENT_COUNT) {
            throw new IllegalArgumentException("need " + IoCategory.COMPONENT_COUNT
                    + " component capacities (GPU, RAM, CACHE, ETHERNET, BUS, STORAGE), got " + bytesPerSecond.length);
        }
        for (int k = 0; k < bytesPerSecond.length; k++) {
            if (!(bytesPerSecond[k] > 0) || Double.isInfinite(bytesPerSecond[k])) {
                throw new IllegalArgumentException("capacity of " + IoCategory.component(k)
                        + " must be a finite number of bytes/s > 0, got " + bytesPerSecond[k]);
            }
        }
        if (defaultIntervalNanos <= 0) {
            throw new IllegalArgumentException("default summary interval must be > 0 ns, got " + defaultIntervalNanos);
        }
        this.bytesPerSecond = bytesPerSecond.clone();
        this.defaultIntervalNanos = defaultIntervalNanos;
    }

    /** @return the interval the byte deltas of {@code frame} are spread over, ns */
    public long intervalNanos(Frame frame) {
        return frame.intervalNanos() > 0 ? frame.intervalNanos() : defaultIntervalNanos;
    }

    /**
     * Fills {@code perVcpu[v]} with the tasks of {@code frame} that last ran on guest CPU {@code v};
     * every summary is cleared first.
     *
     * @return the number of tasks whose CPU has no summary here ({@code vcpu ≥ perVcpu.length}:
     *     the guest has more CPUs than the host knows of); they are left out
     */
    public int convert(Frame frame, RunQueueSummary[] perVcpu) {
        for (RunQueueSummary s : perVcpu) {
            s.clear();
        }
        double seconds = intervalNanos(frame) / 1e9;
        int skipped = 0;
        for (int t = 0; t < frame.taskCount(); t++) {
            int v = frame.vcpu(t);
            if (v < perVcpu.length) {
                addTask(frame, t, seconds, perVcpu[v]);
            } else {
                skipped++;
            }
        }
        return skipped;
    }

    /** Fills {@code summary} (cleared first) with the tasks of {@code frame} that last ran on guest CPU {@code vcpu}. */
    public RunQueueSummary convert(Frame frame, int vcpu, RunQueueSummary summary) {
        summary.clear();
        double seconds = intervalNanos(frame) / 1e9;
        for (int t = 0; t < frame.taskCount(); t++) {
            if (frame.vcpu(t) == vcpu) {
                addTask(frame, t, seconds, summary);
            }
        }
        return summary;
    }

    private void addTask(Frame f, int t, double seconds, RunQueueSummary out) {
        long cpuNanos = f.cpuMicros(t) * 1000;
        int hint = f.hint(t);
        if (hint == Frame.NO_HINT) {
            for (int k = 0; k < row.length; k++) {
                row[k] = Math.min(100.0, f.ioBytes(t, k) * 100.0 / (seconds * bytesPerSecond[k]));
            }
            out.addTask(cpuNanos, row);
        } else if (hint == Frame.HINT_NONE) {
            out.addHintedTask(cpuNanos, IoCategory.NONE, 0);
        } else {
            out.addHintedTask(cpuNanos, IoCategory.component(hint), f.hintPercent(t));
        }
    }
}
