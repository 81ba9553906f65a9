package io.isochron.bridge.kvm.host;

/**
 * A thread's {@code /proc/<pid>/task/<tid>/schedstat}: time spent on a CPU, time spent runnable but
 * waiting for one (both nanoseconds), and the number of times it was given a CPU.
 */
public record SchedStat(long runNanos, long waitNanos, long timeslices) {
}
