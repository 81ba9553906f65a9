package io.isochron.api.scheduling;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Read-only view of the run queues at the moment of a decision. Each pCPU has a queue in arrival
 * order; the vCPU running on a pCPU stays in its queue at {@link #runningIndex(int)}. Every method
 * is allocation-free so that policies can be called on the hot path.
 */
@ProviderType
public interface SchedulerView {
    long now();

    int pcpuCount();

    /** Number of vCPUs queued on {@code pcpu}, the running one included. */
    int queueLength(int pcpu);

    /** The {@code i}-th vCPU in {@code pcpu}'s queue, 0 = earliest arrival. */
    VcpuView queued(int pcpu, int i);

    /** Queue index of the vCPU running on {@code pcpu}, or -1 if it is idle. */
    int runningIndex(int pcpu);

    /** @return the vCPU running on {@code pcpu}, or null */
    VcpuView running(int pcpu);

    /** Number of registered vCPUs; ids are 0 .. vcpuCount()-1. */
    int vcpuCount();

    VcpuView vcpu(int id);
}
