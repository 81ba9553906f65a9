package io.isochron.api.scheduling;

import io.isochron.api.IoCategory;
import org.osgi.annotation.versioning.ProviderType;

/**
 * What a policy may read about one vCPU at decision time. Times are nanoseconds on the scheduler's
 * clock ({@link SchedulerView#now()}); {@link Long#MAX_VALUE} stands for "no deadline".
 */
@ProviderType
public interface VcpuView {
    /** Dense index of the vCPU, stable while it is registered. */
    int id();

    /** Index of the VM the vCPU belongs to. */
    int vm();

    /** Index of the vCPU inside its VM. */
    int index();

    /** Category assigned by the classification unit right before this job was placed. */
    IoCategory category();

    /** Expected utilisation of the category's component while this vCPU runs, in percent. */
    double ioPercent();

    /** Expected CPU time of the current job when it became ready. */
    long expectedRunNanos();

    /** Predicted CPU time still needed by the current job, as of now. */
    long remainingNanos();

    /** Absolute deadline of the current job, or {@link Long#MAX_VALUE}. */
    long absoluteDeadline();

    /** Release (ready) time of the current job. */
    long releaseTime();

    /** Minimum inter-arrival time of the vCPU's jobs, 0 if not periodic/sporadic. */
    long periodNanos();

    /** Relative deadline of the vCPU's jobs, 0 if none. */
    long relativeDeadlineNanos();

    /** The pCPU this vCPU was first placed on (partitioning policies keep it there), or -1. */
    int homePcpu();
}
