package io.isochron.api.runtime;

import io.isochron.api.scheduling.RunQueueSummary;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Where a {@link HypervisorBridge} reports what happens to vCPUs. A bridge calls it from one thread
 * at a time. Events of one instant are reported first ({@link #ready}, {@link #finished}), then
 * {@link #dispatch} makes the dispatch decisions. Every decision comes back to the bridge before the
 * call that caused it returns: {@link HypervisorBridge#queued} (with the category the vCPU was
 * classified into), {@link HypervisorBridge#start} and {@link HypervisorBridge#preempt}.
 * Times are nanoseconds on the bridge's clock and never go backwards.
 */
@ProviderType
public interface SchedulerSink {
    /**
     * Registers a vCPU and returns its id, dense from 0 in registration order. VMs are numbered
     * densely from 0 by name, in the order of their first vCPU ({@code VcpuView#vm()}).
     */
    int registerVcpu(String vm, int index);

    /**
     * A vCPU became ready: it is classified from {@code summary} and placed on a pCPU's queue, which
     * the bridge learns through {@link HypervisorBridge#queued} before this returns.
     *
     * @param releaseNanos release time of its job (deadlines count from here)
     * @param periodNanos minimum inter-arrival time of its jobs, 0 if aperiodic
     * @param relativeDeadlineNanos relative deadline, 0 for none
     */
    void ready(int vcpuId, RunQueueSummary summary, long nowNanos, long releaseNanos, long periodNanos,
            long relativeDeadlineNanos);

    /** The vCPU running on {@code pcpu} finished its job or blocked. */
    void finished(int pcpu, long nowNanos);

    /** Decides what runs on every pCPU now. */
    void dispatch(long nowNanos);
}
