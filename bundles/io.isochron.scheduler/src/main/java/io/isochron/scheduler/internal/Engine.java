package io.isochron.scheduler.internal;

import io.isochron.api.IoCategory;
import io.isochron.api.runtime.HypervisorBridge;
import io.isochron.api.runtime.SchedulerSink;
import io.isochron.api.runtime.SchedulerState;
import io.isochron.api.scheduling.Placement;
import io.isochron.api.scheduling.RunQueueSummary;
import io.isochron.log.RateLimitedLog;
import io.isochron.scheduler.core.Classifier;
import io.isochron.scheduler.core.RunQueues;
import io.isochron.scheduler.core.VcpuSlot;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * The scheduler attached to one hypervisor bridge: its run queues, driven on the bridge's thread,
 * and the state telemetry reads. The bridge thread publishes the state with a sequence counter
 * (odd while writing); readers copy and retry if it moved, so the decision path never waits for a
 * reader.
 */
final class Engine implements SchedulerSink, RunQueues.Listener {
    private static final long MAX_LATENCY_NANOS = 1_000_000_000L;
    private static final System.Logger LOG = System.getLogger("io.isochron.scheduler");

    private final HypervisorBridge bridge;
    private final RunQueues queues;
    private final int pcpus;
    private long windowNanos;
    private volatile long nextWindowNanos;

    private volatile long seq;
    // State below is written by the bridge thread only, inside a seq update.
    private int vcpuCount;
    private final int[] running;
    private final double[] pcpuBusyInWindow;
    private final double[] pcpuUtilization;
    private final double[] demand = new double[IoCategory.COMPONENT_COUNT];
    private final double[] demandInWindow = new double[IoCategory.COMPONENT_COUNT];
    private final double[] componentUtilization = new double[IoCategory.COMPONENT_COUNT];
    private final double[] peak = new double[IoCategory.COMPONENT_COUNT];
    private final double[] overloadNanos = new double[IoCategory.COMPONENT_COUNT];
    private long decisions;
    private double latencyP99Micros;
    private final Histogram latency = new Histogram(MAX_LATENCY_NANOS, 2);
    private long clock;
    private long windowStart;
    private boolean clockStarted;
    private long bridgeFaults;
    private long faultsThisWindow;
    private long faultsLastWindow;
    private String lastFault = "";
    private final RateLimitedLog faultLog = new RateLimitedLog(LOG, Duration.ofSeconds(10));
    /** The placement the bridge was last told is in force (bridge thread only). */
    private Placement told;

    Engine(HypervisorBridge bridge, Placement placement, long windowNanos) {
        this.bridge = bridge;
        this.pcpus = bridge.pcpuCount();
        this.windowNanos = windowNanos;
        this.nextWindowNanos = windowNanos;
        this.queues = new RunQueues(pcpus, placement, new Classifier(), this);
        this.running = new int[pcpus];
        Arrays.fill(running, -1);
        this.pcpuBusyInWindow = new double[pcpus];
        this.pcpuUtilization = new double[pcpus];
    }

    String bridgeName() {
        return bridge.name();
    }

    HypervisorBridge bridge() {
        return bridge;
    }

    void setPlacement(Placement placement) {
        queues.setPlacement(placement);
    }

    /** New telemetry window length, used from the next window on. */
    void setWindow(long nanos) {
        nextWindowNanos = nanos;
    }

    // ---- SchedulerSink: the bridge thread ----

    @Override
    public int registerVcpu(String vm, int index) {
        beginWrite();
        try {
            VcpuSlot slot = queues.register(vm, index);
            vcpuCount = slot.id() + 1;
            return slot.id();
        } finally {
            endWrite();
        }
    }

    @Override
    public void ready(int vcpuId, RunQueueSummary summary, long nowNanos, long releaseNanos, long periodNanos,
            long relativeDeadlineNanos) {
        beginWrite();
        try {
            advanceClock(nowNanos);
            tellPolicy();
            long t0 = System.nanoTime();
            queues.classifyAndPlace(queues.placement(), vcpuId, summary, nowNanos, releaseNanos, periodNanos,
                    relativeDeadlineNanos);
            latency.recordValue(Math.min(MAX_LATENCY_NANOS, System.nanoTime() - t0));
            decisions++;
        } finally {
            endWrite();
        }
    }

    /** Tells the bridge the policy in force when it changed since it was last told: before a decision under it. */
    private void tellPolicy() {
        Placement p = queues.placement();
        if (p != told) {
            told = p;
            try {
                bridge.policyInForce(p.policyName(), p.overlapPercent());
            } catch (RuntimeException e) {
                faultLog.log(System.Logger.Level.ERROR, "hypervisor bridge '" + bridge.name()
                        + "' failed to take the policy " + p.policyName() + ": " + e);
            }
        }
    }

    @Override
    public void finished(int pcpu, long nowNanos) {
        beginWrite();
        try {
            advanceClock(nowNanos);
            VcpuSlot v = queues.finish(pcpu, nowNanos);
            leave(pcpu, v);
        } finally {
            endWrite();
        }
    }

    @Override
    public void dispatch(long nowNanos) {
        beginWrite();
        try {
            advanceClock(nowNanos);
            tellPolicy();
            queues.dispatch(nowNanos);
        } finally {
            endWrite();
        }
    }

    @Override
    public void queued(int pcpu, VcpuSlot vcpu, long now) {
        try {
            bridge.queued(pcpu, vcpu.id(), vcpu.category());
        } catch (RuntimeException e) {
            bridgeFault("queue", pcpu, vcpu, e);
        }
    }

    @Override
    public void started(int pcpu, VcpuSlot vcpu, long now) {
        running[pcpu] = vcpu.id();
        if (vcpu.category().isComponent()) {
            demand[vcpu.category().ordinal()] += vcpu.ioPercent();
        }
        try {
            bridge.start(pcpu, vcpu.id());
        } catch (RuntimeException e) {
            bridgeFault("start", pcpu, vcpu, e);
        }
    }

    @Override
    public void preempted(int pcpu, VcpuSlot vcpu, long now) {
        leave(pcpu, vcpu);
        try {
            bridge.preempt(pcpu, vcpu.id());
        } catch (RuntimeException e) {
            bridgeFault("preempt", pcpu, vcpu, e);
        }
    }

    /**
     * The bridge could not apply a decision (e.g. the kernel refused). The scheduler's own view stays
     * as decided, so the next decisions are still consistent; the fault is counted and logged at most
     * once per 10 s.
     */
    private void bridgeFault(String what, int pcpu, VcpuSlot vcpu, RuntimeException e) {
        bridgeFaults++;
        faultsThisWindow++;
        lastFault = "failed to " + what + " " + label(vcpu) + " on pCPU " + pcpu + ": " + e.getMessage();
        faultLog.log(System.Logger.Level.ERROR, "hypervisor bridge '" + bridge.name() + "' " + lastFault);
    }

    private void leave(int pcpu, VcpuSlot vcpu) {
        running[pcpu] = -1;
        if (vcpu.category().isComponent()) {
            int k = vcpu.category().ordinal();
            demand[k] = Math.max(0, demand[k] - vcpu.ioPercent());
        }
    }

    /** Integrates utilisations up to {@code now} and closes windows. */
    private void advanceClock(long now) {
        if (!clockStarted) {
            clockStarted = true;
            clock = now;
            windowStart = now;
            return;
        }
        while (now > clock) {
            long windowEnd = windowStart + windowNanos;
            long until = Math.min(now, windowEnd);
            double dt = until - clock;
            for (int k = 0; k < IoCategory.COMPONENT_COUNT; k++) {
                demandInWindow[k] += demand[k] * dt;
                peak[k] = Math.max(peak[k], demand[k]);
                if (demand[k] > 100.0 + 1e-9) {
                    overloadNanos[k] += dt;
                }
            }
            for (int p = 0; p < pcpus; p++) {
                if (running[p] >= 0) {
                    pcpuBusyInWindow[p] += dt;
                }
            }
            clock = until;
            if (clock == windowEnd) {
                closeWindow();
            }
        }
    }

    private void closeWindow() {
        for (int k = 0; k < IoCategory.COMPONENT_COUNT; k++) {
            componentUtilization[k] = demandInWindow[k] / windowNanos;
            demandInWindow[k] = 0;
        }
        for (int p = 0; p < pcpus; p++) {
            pcpuUtilization[p] = 100.0 * pcpuBusyInWindow[p] / windowNanos;
            pcpuBusyInWindow[p] = 0;
        }
        latencyP99Micros = latency.getTotalCount() == 0 ? 0 : latency.getValueAtPercentile(99) / 1000.0;
        faultsLastWindow = faultsThisWindow;
        faultsThisWindow = 0;
        latency.reset();
        windowStart += windowNanos;
    }

    private void beginWrite() {
        seq++; // odd: writing
        VarHandle.releaseFence();
    }

    private void endWrite() {
        VarHandle.releaseFence();
        seq++; // even: consistent
    }

    // ---- read side: any thread ----

    /** Fills the policy-independent parts of a snapshot; retries while the bridge thread writes. */
    Snapshot read() {
        for (int attempt = 0; ; attempt++) {
            long before = seq;
            if ((before & 1) == 0) {
                try {
                    Snapshot s = copy();
                    VarHandle.acquireFence();
                    if (seq == before) {
                        return s;
                    }
                } catch (RuntimeException torn) {
                    // arrays replaced mid-copy: retry
                }
            }
            if (attempt > 100) {
                Thread.onSpinWait();
                Thread.yield();
            }
        }
    }

    private Snapshot copy() {
        List<SchedulerState.Pcpu> pcpuStates = new ArrayList<>(pcpus);
        for (int p = 0; p < pcpus; p++) {
            int v = running[p];
            VcpuSlot slot = v >= 0 ? queues.slot(v) : null;
            pcpuStates.add(new SchedulerState.Pcpu(p, slot == null ? "" : label(slot),
                    slot == null ? IoCategory.NONE : slot.category(), pcpuUtilization[p]));
        }
        int n = vcpuCount;
        List<SchedulerState.Vcpu> vcpuStates = new ArrayList<>(n);
        for (int id = 0; id < n; id++) {
            VcpuSlot slot = queues.slot(id);
            SchedulerState.VcpuState state = slot.isRunning() ? SchedulerState.VcpuState.RUNNING
                    : slot.queuedOn() >= 0 ? SchedulerState.VcpuState.READY : SchedulerState.VcpuState.IDLE;
            vcpuStates.add(new SchedulerState.Vcpu(slot.vmName(), slot.index(), slot.category(), state, slot.queuedOn(),
                    slot.ioPercent()));
        }
        List<SchedulerState.Component> components = new ArrayList<>(IoCategory.COMPONENT_COUNT);
        for (int k = 0; k < IoCategory.COMPONENT_COUNT; k++) {
            components.add(new SchedulerState.Component(IoCategory.component(k), componentUtilization[k], peak[k],
                    overloadNanos[k] / 1e9));
        }
        String recentFault = faultsThisWindow + faultsLastWindow > 0 ? lastFault : "";
        return new Snapshot(decisions, latencyP99Micros, bridgeFaults, recentFault, pcpuStates, vcpuStates, components);
    }

    private static String label(VcpuSlot slot) {
        return slot.vmName() + "/" + slot.index();
    }

    /** @param recentFault the last decision the bridge failed to apply, if within the last window; else "" */
    record Snapshot(long decisions, double latencyP99Micros, long bridgeFaults, String recentFault,
            List<SchedulerState.Pcpu> pcpus,
            List<SchedulerState.Vcpu> vcpus, List<SchedulerState.Component> components) {}
}
