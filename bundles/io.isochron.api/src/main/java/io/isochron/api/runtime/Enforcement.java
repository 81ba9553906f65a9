package io.isochron.api.runtime;

import java.util.Objects;

/**
 * How the attached {@link HypervisorBridge} puts the scheduler's decisions in force (OPC UA
 * {@code Scheduler/Enforcement} and {@code Scheduler/SchedExt/…}, docs/schedext.md).
 *
 * @param backend {@link #SCHED_EXT}, {@link #AFFINITY} or {@link #NONE}
 * @param schedExtState one line about Isochron's sched_ext scheduler: what it enforces, or why it
 *     does not and when it is tried again; "" where the bridge has none
 * @param schedExt the scheduler's own counters since it was attached, while it enforces; else null
 */
public record Enforcement(String backend, String schedExtState, SchedExtCounters schedExt) {
    /** Isochron's BPF scheduler in the kernel decides at every enqueue and dispatch. */
    public static final String SCHED_EXT = "sched_ext";
    /** vCPU threads are pinned from user space every decision round. */
    public static final String AFFINITY = "affinity";
    /** Nothing outside the scheduler acts on the decisions (the simulator, or decide-and-report only). */
    public static final String NONE = "none";

    public Enforcement {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(schedExtState, "schedExtState");
    }

    /**
     * Counted by the BPF scheduler itself, summed over the I/O categories.
     *
     * @param dispatches threads it started under a category's admission
     * @param coRunningSeconds time two CPUs ran the same category at once, summed over pairs
     * @param violations a thread started beside another of its category while strict separation
     *     (interference-aware at overlap 0) was in force
     * @param deadlineMisses jobs of threads with declared timing that finished after their deadline
     *     (the kernel's EDF modes; 0 while no thread has timing)
     */
    public record SchedExtCounters(long dispatches, double coRunningSeconds, long violations, long deadlineMisses) {
        /** Counters of a scheduler that judges no deadlines. */
        public SchedExtCounters(long dispatches, double coRunningSeconds, long violations) {
            this(dispatches, coRunningSeconds, violations, 0);
        }
    }
}
