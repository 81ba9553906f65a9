package io.isochron.api.scheduling;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A configured policy: the two decisions of the scheduling unit. Implementations must not allocate
 * or block; they read the {@link SchedulerView} and return an index.
 */
@ConsumerType
public interface Placement {
    /** Returned by {@link #select} to leave a pCPU idle for now. */
    int IDLE = -1;

    /** @return the name of the policy this placement belongs to */
    String policyName();

    /** @return the overlap percent it was configured with (0 where it does not apply) */
    double overlapPercent();

    /**
     * Chooses the pCPU whose run queue receives {@code ready}, which has just become ready and has
     * just been classified.
     */
    int place(VcpuView ready, SchedulerView view);

    /**
     * Chooses which vCPU of {@code pcpu}'s queue runs now: a queue index, or {@link #IDLE}. For a
     * non-preemptive placement this is asked only when the pCPU is free; for a preemptive one after
     * every event, and returning another index than the running one preempts it.
     */
    int select(int pcpu, SchedulerView view);

    /** @return whether {@link #select} may preempt a running vCPU */
    boolean preemptive();
}
