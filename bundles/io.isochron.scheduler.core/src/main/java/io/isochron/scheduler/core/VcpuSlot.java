package io.isochron.scheduler.core;

import io.isochron.api.IoCategory;
import io.isochron.api.scheduling.VcpuView;

/** The run-queue entry of one vCPU; one per registered vCPU, reused for each of its jobs. */
public final class VcpuSlot implements VcpuView {
    private final RunQueues owner;
    private final int id;
    private final int vm;
    private final String vmName;
    private final int index;

    IoCategory category = IoCategory.NONE;
    double ioPercent;
    long expectedRunNanos;
    long remainingAtStart;
    long startedAt = -1;
    long releaseTime;
    long absoluteDeadline = Long.MAX_VALUE;
    long periodNanos;
    long relativeDeadlineNanos;
    int homePcpu = -1;
    /** pCPU whose queue holds this vCPU, -1 when it is not ready. */
    int queuedOn = -1;
    boolean running;

    VcpuSlot(RunQueues owner, int id, int vm, String vmName, int index) {
        this.owner = owner;
        this.id = id;
        this.vm = vm;
        this.vmName = vmName;
        this.index = index;
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public int vm() {
        return vm;
    }

    /** The name its VM was registered with. */
    public String vmName() {
        return vmName;
    }

    @Override
    public int index() {
        return index;
    }

    @Override
    public IoCategory category() {
        return category;
    }

    @Override
    public double ioPercent() {
        return ioPercent;
    }

    @Override
    public long expectedRunNanos() {
        return expectedRunNanos;
    }

    @Override
    public long remainingNanos() {
        if (!running) {
            return remainingAtStart;
        }
        return Math.max(0, remainingAtStart - (owner.now() - startedAt));
    }

    @Override
    public long absoluteDeadline() {
        return absoluteDeadline;
    }

    @Override
    public long releaseTime() {
        return releaseTime;
    }

    @Override
    public long periodNanos() {
        return periodNanos;
    }

    @Override
    public long relativeDeadlineNanos() {
        return relativeDeadlineNanos;
    }

    @Override
    public int homePcpu() {
        return homePcpu;
    }

    /** @return the pCPU whose queue holds this vCPU, or -1 */
    public int queuedOn() {
        return queuedOn;
    }

    public boolean isRunning() {
        return running;
    }

    @Override
    public String toString() {
        return vmName + "/vcpu" + index + "[" + category + " " + ioPercent + "%]";
    }
}
