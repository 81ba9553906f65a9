package io.isochron.sim.engine;

import io.isochron.api.runtime.SchedulerSink;
import io.isochron.api.scheduling.Placement;
import io.isochron.api.scheduling.RunQueueSummary;
import io.isochron.scheduler.core.Classifier;
import io.isochron.scheduler.core.RunQueues;
import io.isochron.scheduler.core.VcpuSlot;

/** The scheduling unit in-process, for offline simulation: run queues with one fixed placement. */
final class LocalScheduler implements SchedulerSink, RunQueues.Listener {
    private final RunQueues queues;
    private Simulator hypervisor;

    LocalScheduler(int pcpus, Placement placement) {
        this.queues = new RunQueues(pcpus, placement, new Classifier(), this);
    }

    void attach(Simulator simulator) {
        this.hypervisor = simulator;
    }

    @Override
    public int registerVcpu(String vm, int index) {
        return queues.register(vm, index).id();
    }

    @Override
    public void ready(int vcpuId, RunQueueSummary summary, long nowNanos, long releaseNanos, long periodNanos,
            long relativeDeadlineNanos) {
        queues.classifyAndPlace(queues.placement(), vcpuId, summary, nowNanos, releaseNanos, periodNanos,
                relativeDeadlineNanos);
    }

    @Override
    public void finished(int pcpu, long nowNanos) {
        queues.finish(pcpu, nowNanos);
    }

    @Override
    public void dispatch(long nowNanos) {
        queues.dispatch(nowNanos);
    }

    @Override
    public void queued(int pcpu, VcpuSlot vcpu, long now) {
        hypervisor.queued(pcpu, vcpu.id(), vcpu.category());
    }

    @Override
    public void started(int pcpu, VcpuSlot vcpu, long now) {
        hypervisor.start(pcpu, vcpu.id());
    }

    @Override
    public void preempted(int pcpu, VcpuSlot vcpu, long now) {
        hypervisor.preempt(pcpu, vcpu.id());
    }
}
