package io.isochron.scheduler.core;

import io.isochron.api.scheduling.Placement;
import io.isochron.api.scheduling.RunQueueSummary;
import io.isochron.api.scheduling.SchedulerView;
import io.isochron.api.scheduling.VcpuView;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The scheduling unit's state: one run queue per pCPU. Each time a vCPU becomes ready it is
 * classified and placed synchronously by the current {@link Placement}; after each event the
 * pCPUs are dispatched and the {@link Listener} learns which vCPUs start or are preempted.
 *
 * <p>Not thread-safe: one driver thread calls it. The placement is read once per operation, so a
 * swap through {@link #setPlacement} takes effect between two decisions, never inside one. Once
 * every vCPU is registered and the queues have grown to their largest size, no method allocates.
 */
public final class RunQueues implements SchedulerView {

    /** Receives the decisions, on the driver thread. */
    public interface Listener {
        /** {@code vcpu} was classified (its {@link VcpuSlot#category()}) and placed on {@code pcpu}'s queue. */
        void queued(int pcpu, VcpuSlot vcpu, long now);

        void started(int pcpu, VcpuSlot vcpu, long now);

        void preempted(int pcpu, VcpuSlot vcpu, long now);
    }

    private final int pcpuCount;
    private final VcpuSlot[][] queues;
    private final int[] sizes;
    private final int[] running;
    private final Classifier classifier;
    private final Classification scratch = new Classification();
    private final Listener listener;
    private VcpuSlot[] vcpus = new VcpuSlot[16];
    private int vcpuCount;
    private final Map<String, Integer> vmIndex = new HashMap<>();
    private long now;
    private long decisions;
    private volatile Placement placement;

    public RunQueues(int pcpuCount, Placement placement, Classifier classifier, Listener listener) {
        if (pcpuCount < 1) {
            throw new IllegalArgumentException("need at least 1 pCPU, got " + pcpuCount);
        }
        this.pcpuCount = pcpuCount;
        this.queues = new VcpuSlot[pcpuCount][8];
        this.sizes = new int[pcpuCount];
        this.running = new int[pcpuCount];
        Arrays.fill(running, -1);
        this.placement = Objects.requireNonNull(placement, "placement");
        this.classifier = Objects.requireNonNull(classifier, "classifier");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /**
     * Registers vCPU {@code index} of VM {@code vm} and returns its slot; its id is the next dense
     * index, its VM index that of the VM's first registered vCPU (VMs numbered densely by name).
     */
    public VcpuSlot register(String vm, int index) {
        if (vcpuCount == vcpus.length) {
            vcpus = Arrays.copyOf(vcpus, vcpuCount * 2);
        }
        int vmId = vmIndex.computeIfAbsent(Objects.requireNonNull(vm, "vm"), name -> vmIndex.size());
        VcpuSlot slot = new VcpuSlot(this, vcpuCount, vmId, vm, index);
        vcpus[vcpuCount++] = slot;
        return slot;
    }

    /** Replaces the placement; the next decision uses the new one. */
    public void setPlacement(Placement next) {
        placement = Objects.requireNonNull(next, "placement");
    }

    public Placement placement() {
        return placement;
    }

    /** Number of placement decisions made so far. */
    public long decisions() {
        return decisions;
    }

    /**
     * A vCPU became ready: classify its run-queue summary, place it, then dispatch.
     *
     * @param release release time of the job (deadlines count from here), ≤ now
     * @param periodNanos minimum inter-arrival time of the vCPU's jobs, 0 if aperiodic
     * @param relativeDeadlineNanos relative deadline, 0 for none
     * @return the pCPU it was queued on
     */
    public int ready(int vcpuId, RunQueueSummary summary, long at, long release, long periodNanos,
            long relativeDeadlineNanos) {
        Placement p = placement;
        int pcpu = classifyAndPlace(p, vcpuId, summary, at, release, periodNanos, relativeDeadlineNanos);
        dispatch(p);
        return pcpu;
    }

    /**
     * The decision itself, without dispatching: classify and place. Exposed separately so that its
     * latency can be measured on its own.
     */
    public int classifyAndPlace(Placement p, int vcpuId, RunQueueSummary summary, long at, long release,
            long periodNanos, long relativeDeadlineNanos) {
        VcpuSlot v = slot(vcpuId);
        if (v.queuedOn >= 0) {
            throw new IllegalStateException(v + " is already queued on pCPU " + v.queuedOn);
        }
        advance(at);
        classifier.classify(summary, scratch);
        v.category = scratch.category;
        v.ioPercent = scratch.ioPercent;
        v.expectedRunNanos = scratch.expectedRunNanos;
        v.remainingAtStart = scratch.expectedRunNanos;
        v.releaseTime = release;
        v.periodNanos = periodNanos;
        v.relativeDeadlineNanos = relativeDeadlineNanos;
        v.absoluteDeadline = relativeDeadlineNanos > 0 ? release + relativeDeadlineNanos : Long.MAX_VALUE;
        int pcpu = p.place(v, this);
        if (pcpu < 0 || pcpu >= pcpuCount) {
            throw new IllegalStateException(p.policyName() + " placed " + v + " on pCPU " + pcpu
                    + " (allowed 0.." + (pcpuCount - 1) + ")");
        }
        if (v.homePcpu < 0) {
            v.homePcpu = pcpu;
        }
        enqueue(pcpu, v);
        decisions++;
        listener.queued(pcpu, v, now);
        return pcpu;
    }

    /** The vCPU running on {@code pcpu} finished its job (or blocked); then dispatch. */
    public VcpuSlot complete(int pcpu, long at) {
        VcpuSlot v = finish(pcpu, at);
        dispatch(placement);
        return v;
    }

    /**
     * Like {@link #complete} but without dispatching, for drivers that report several events of one
     * instant and then call {@link #dispatch(long)} once.
     */
    public VcpuSlot finish(int pcpu, long at) {
        advance(at);
        int r = running[pcpu];
        if (r < 0) {
            throw new IllegalStateException("pCPU " + pcpu + " has nothing running");
        }
        VcpuSlot v = queues[pcpu][r];
        v.running = false;
        v.remainingAtStart = 0;
        v.queuedOn = -1;
        remove(pcpu, r);
        running[pcpu] = -1;
        return v;
    }

    /**
     * A queued vCPU stopped being ready before it ran (its guest halted it): take it out of its
     * queue. A running vCPU is ended with {@link #finish} or {@link #complete} instead.
     */
    public void withdraw(int vcpuId) {
        VcpuSlot v = slot(vcpuId);
        int pcpu = v.queuedOn;
        if (pcpu < 0 || v.running) {
            throw new IllegalStateException(v + (pcpu < 0 ? " is not queued" : " is running on pCPU " + pcpu));
        }
        VcpuSlot[] q = queues[pcpu];
        for (int i = 0; i < sizes[pcpu]; i++) {
            if (q[i] == v) {
                remove(pcpu, i);
                break;
            }
        }
        v.queuedOn = -1;
    }

    /** Re-evaluates every pCPU at time {@code at}, e.g. after the clock moved without an event. */
    public void dispatch(long at) {
        advance(at);
        dispatch(placement);
    }

    private void dispatch(Placement p) {
        boolean preemptive = p.preemptive();
        for (int pcpu = 0; pcpu < pcpuCount; pcpu++) {
            int current = running[pcpu];
            if ((current >= 0 && !preemptive) || sizes[pcpu] == 0) {
                continue;
            }
            int chosen = p.select(pcpu, this);
            if (chosen == current) {
                continue;
            }
            if (chosen != Placement.IDLE && (chosen < 0 || chosen >= sizes[pcpu])) {
                throw new IllegalStateException(p.policyName() + " selected queue index " + chosen
                        + " on pCPU " + pcpu + " (queue length " + sizes[pcpu] + ")");
            }
            if (current >= 0) {
                VcpuSlot c = queues[pcpu][current];
                c.remainingAtStart = c.remainingNanos();
                c.running = false;
                running[pcpu] = -1;
                listener.preempted(pcpu, c, now);
            }
            if (chosen != Placement.IDLE) {
                VcpuSlot s = queues[pcpu][chosen];
                s.running = true;
                s.startedAt = now;
                running[pcpu] = chosen;
                listener.started(pcpu, s, now);
            }
        }
    }

    private void advance(long at) {
        if (at < now) {
            throw new IllegalArgumentException("time went backwards: " + at + " < " + now);
        }
        now = at;
    }

    private void enqueue(int pcpu, VcpuSlot v) {
        VcpuSlot[] q = queues[pcpu];
        if (sizes[pcpu] == q.length) {
            q = Arrays.copyOf(q, q.length * 2);
            queues[pcpu] = q;
        }
        q[sizes[pcpu]++] = v;
        v.queuedOn = pcpu;
    }

    private void remove(int pcpu, int index) {
        VcpuSlot[] q = queues[pcpu];
        int n = --sizes[pcpu];
        System.arraycopy(q, index + 1, q, index, n - index);
        q[n] = null;
        if (running[pcpu] > index) {
            running[pcpu]--;
        }
    }

    public VcpuSlot slot(int id) {
        if (id < 0 || id >= vcpuCount) {
            throw new IllegalArgumentException("unknown vCPU id " + id + " (registered: " + vcpuCount + ")");
        }
        return vcpus[id];
    }

    @Override
    public long now() {
        return now;
    }

    @Override
    public int pcpuCount() {
        return pcpuCount;
    }

    @Override
    public int queueLength(int pcpu) {
        return sizes[pcpu];
    }

    @Override
    public VcpuSlot queued(int pcpu, int i) {
        if (i < 0 || i >= sizes[pcpu]) {
            throw new IndexOutOfBoundsException("queue index " + i + " on pCPU " + pcpu + " of " + sizes[pcpu]);
        }
        return queues[pcpu][i];
    }

    @Override
    public int runningIndex(int pcpu) {
        return running[pcpu];
    }

    @Override
    public VcpuSlot running(int pcpu) {
        int r = running[pcpu];
        return r < 0 ? null : queues[pcpu][r];
    }

    @Override
    public int vcpuCount() {
        return vcpuCount;
    }

    @Override
    public VcpuView vcpu(int id) {
        return slot(id);
    }
}
