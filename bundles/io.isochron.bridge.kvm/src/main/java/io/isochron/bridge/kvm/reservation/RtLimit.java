package io.isochron.bridge.kvm.reservation;

/**
 * {@code sched_rt_runtime_us} / {@code sched_rt_period_us}: the share of every CPU that deadline
 * (and real-time) tasks may hold. A runtime of -1 means no limit, and the kernel then admits anything.
 */
public record RtLimit(long runtimeMicros, long periodMicros) {
    public RtLimit {
        if (periodMicros <= 0 || runtimeMicros < -1 || runtimeMicros > periodMicros) {
            throw new IllegalArgumentException("sched_rt_runtime_us " + runtimeMicros + " / sched_rt_period_us "
                    + periodMicros + " is not a valid limit");
        }
    }

    public boolean unlimited() {
        return runtimeMicros < 0;
    }

    /** The per-CPU share in the kernel's fixed point (undefined when unlimited). */
    public long perCpu() {
        return Bandwidth.ratio(periodMicros, runtimeMicros);
    }
}
