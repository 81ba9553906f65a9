package io.isochron.bridge.kvm.internal;

import io.isochron.api.IoCategory;
import io.isochron.api.runtime.Enforcement;
import io.isochron.api.runtime.HypervisorBridge;
import io.isochron.api.runtime.SchedulerSink;
import io.isochron.api.scheduling.RunQueueSummary;
import io.isochron.bridge.kvm.host.Kernel;
import io.isochron.bridge.kvm.host.NativeException;
import io.isochron.bridge.kvm.host.ProcFs;
import io.isochron.bridge.kvm.host.SchedStat;
import io.isochron.bridge.kvm.schedext.SchedExtEnforcer;
import io.isochron.log.RateLimitedLog;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The scheduler's view of a fixed set of running guests. Every tick (the guests' summary interval)
 * the vCPUs that ran finish their job, every idle vCPU with work becomes ready with its guest's newest
 * summary (or, without one, with the CPU time its thread used, as CPU-only work), the scheduler
 * dispatches, and the decisions are put in force: while the sched_ext scheduler is attached
 * ({@link SchedExtEnforcer}), each vCPU thread's category goes to the kernel as soon as it is
 * classified, and a guest's frame starts a round at once; otherwise the decisions are applied as
 * thread affinities (see {@link AffinityPlanner}) and read back. A new set of guests is a new
 * bridge: the hypervisor component registers it, and the scheduler re-attaches.
 */
final class KvmBridge implements HypervisorBridge {
    private static final System.Logger LOG = System.getLogger("io.isochron.bridge.kvm");
    /** A guest summary older than this no longer describes what the vCPU does. */
    private static final long SUMMARY_MAX_AGE_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** A placement fault counts for Health this long after it happened. */
    private static final long FAULT_MEMORY_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final List<Vm> vms;
    private final int[] hostCpus;
    private final long tickNanos;
    private final boolean applyAffinity;
    private final Kernel kernel;
    private final ProcFs proc;
    private final AffinityPlanner planner;
    private final SchedExtEnforcer schedExt;
    /** Every host CPU: a vCPU thread's affinity while the kernel scheduler places it. */
    private final BitSet unpinned = new BitSet();

    // per vCPU id (dense, registration order), touched only on the tick thread and in start/preempt
    private final Vm[] vmOf;
    private final int[] indexInVm;
    private final int[] tid;
    /** The category the scheduler classified each vCPU into when it last queued it. */
    private final IoCategory[] category;
    private final int[] runningOn;
    private final int[] queuedOn;
    private final long[] summaryAt;
    private final long[] lastRunNanos;
    private final RunQueueSummary[] summary;
    private final BitSet[] target;
    private final BitSet[] applied;
    private final int[] runningVcpu;
    /** SCHED_DEADLINE vCPUs: scheduled by the kernel's reservation, never pinned. */
    private final boolean[] reserved;
    /** Arrival of the frame whose summary the vCPU's current decision used; 0 once measured. */
    private final long[] frameArrivedAt;
    /** The category the kernel scheduler was last given for each vCPU (null: none since it attached). */
    private final IoCategory[] categoryInKernel;
    /**
     * Whether the kernel scheduler enforced in the last round (read by the frame readers and the
     * shell too), and which attachment of it.
     */
    private volatile boolean inKernel;
    private int kernelGeneration = -1;
    /** A guest's frame arrived since the last round (set by its channel's thread). */
    private volatile boolean frameWaiting;
    private final Runnable wake = this::frameArrived;
    /** Frame arrival → placement applied and read back, in µs; written by the tick, read by the shell. */
    private final Recorder frameToAffinity = new Recorder(3);
    private Histogram frameToAffinityTotal;

    private volatile SchedulerSink sink;
    private volatile Thread ticker;
    /** The last placement the kernel refused or did not read back, and when (System.nanoTime). */
    private volatile String lastFault = "";
    private volatile long lastFaultAt;
    private long faults;
    private final RateLimitedLog faultLog = new RateLimitedLog(LOG, Duration.ofMinutes(1));

    KvmBridge(List<Vm> vms, int[] hostCpus, long tickNanos, boolean applyAffinity, Kernel kernel, ProcFs proc,
            SchedExtEnforcer schedExt) {
        this.vms = List.copyOf(vms);
        this.hostCpus = hostCpus.clone();
        this.tickNanos = tickNanos;
        this.applyAffinity = applyAffinity;
        this.kernel = kernel;
        this.proc = proc;
        this.planner = new AffinityPlanner(hostCpus);
        this.schedExt = schedExt;
        for (int cpu : hostCpus) {
            unpinned.set(cpu);
        }
        int n = vms.stream().mapToInt(vm -> vm.vcpus.size()).sum();
        vmOf = new Vm[n];
        indexInVm = new int[n];
        tid = new int[n];
        category = new IoCategory[n];
        runningOn = new int[n];
        queuedOn = new int[n];
        summaryAt = new long[n];
        lastRunNanos = new long[n];
        summary = new RunQueueSummary[n];
        target = new BitSet[n];
        applied = new BitSet[n];
        runningVcpu = new int[hostCpus.length];
        frameArrivedAt = new long[n];
        reserved = new boolean[n];
        categoryInKernel = new IoCategory[n];
        int id = 0;
        for (Vm vm : vms) {
            for (int i = 0; i < vm.vcpus.size(); i++, id++) {
                vmOf[id] = vm;
                indexInVm[id] = i;
                tid[id] = vm.vcpus.get(i).threadId();
                reserved[id] = vm.reservations.containsKey(i);
                summary[id] = new RunQueueSummary();
                target[id] = new BitSet();
                applied[id] = new BitSet();
            }
        }
    }

    @Override
    public String name() {
        return "kvm";
    }

    @Override
    public int pcpuCount() {
        return hostCpus.length;
    }

    @Override
    public synchronized void attach(SchedulerSink s) {
        if (sink != null) {
            throw new IllegalStateException("the KVM bridge is already attached to a scheduler");
        }
        for (int id = 0; id < vmOf.length; id++) {
            int registered = s.registerVcpu(vmOf[id].name, vmOf[id].vcpus.get(indexInVm[id]).cpuIndex());
            if (registered != id) {
                throw new IllegalStateException("scheduler gave vCPU id " + registered + ", expected " + id);
            }
        }
        Arrays.fill(category, IoCategory.NONE);
        Arrays.fill(runningOn, -1);
        Arrays.fill(queuedOn, -1);
        Arrays.fill(runningVcpu, -1);
        for (int id = 0; id < tid.length; id++) {
            lastRunNanos[id] = runNanos(id);
        }
        sink = s;
        Thread t = new Thread(this::run, "isochron-kvm-bridge");
        t.setDaemon(true);
        ticker = t;
        for (Vm vm : vms) {
            vm.frameListener = wake;
        }
        t.start();
    }

    @Override
    public void detach(SchedulerSink s) {
        Thread t;
        synchronized (this) {
            if (sink != s) {
                return;
            }
            t = ticker;
            ticker = null;
        }
        for (Vm vm : vms) {
            if (vm.frameListener == wake) {
                vm.frameListener = null;
            }
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        sink = null;
    }

    /** A guest's frame arrived: while the kernel scheduler enforces, its category goes there now, not next tick. */
    private void frameArrived() {
        if (inKernel) {
            frameWaiting = true;
            Thread t = ticker;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
    }

    private void run() {
        long next = System.nanoTime() + tickNanos;
        while (ticker == Thread.currentThread()) {
            long now = System.nanoTime();
            if (now - next >= 0) {
                // fell behind by more than a tick: do not catch up with a burst
                next = now - next >= tickNanos ? now + tickNanos : next + tickNanos;
            } else if (!frameWaiting) {
                LockSupport.parkNanos(this, next - now);
                if (Thread.interrupted()) {
                    return;
                }
                continue;
            }
            frameWaiting = false;
            try {
                tick(System.nanoTime());
            } catch (RuntimeException e) {
                fault("tick failed: " + e);
            }
        }
    }

    /** One round: finish, ready, dispatch, apply. Package-private for tests that drive it by hand. */
    void tick(long now) {
        SchedulerSink s = sink;
        if (s == null) {
            return;
        }
        followKernelScheduler();
        for (int p = 0; p < runningVcpu.length; p++) {
            int v = runningVcpu[p];
            if (v >= 0) {
                // cleared first: finishing may dispatch the next vCPU onto p at once
                runningVcpu[p] = -1;
                runningOn[v] = -1;
                s.finished(p, now);
            }
        }
        for (int id = 0; id < vmOf.length; id++) {
            if (runningOn[id] >= 0 || queuedOn[id] >= 0) {
                continue;
            }
            RunQueueSummary work = nextWork(id, now);
            if (work != null) {
                s.ready(id, work, now, now, 0, 0);
            }
        }
        s.dispatch(now);
        planner.plan(vmOf.length, category, runningOn, queuedOn, reserved, target);
        if (applyAffinity && !inKernel) {
            apply();
        }
    }

    /**
     * Notices the kernel scheduler coming and going. Newly attached: every vCPU thread it will place
     * is unpinned (it decides where they run) and gets its category with its next classification.
     * Gone: the affinities are applied again from the next plan on.
     */
    private void followKernelScheduler() {
        boolean now = applyAffinity && schedExt.inForce();
        int generation = schedExt.generation();
        if (now && generation != kernelGeneration) {
            kernelGeneration = generation;
            Arrays.fill(categoryInKernel, null);
            for (int id = 0; id < vmOf.length; id++) {
                if (!reserved[id]) {
                    try {
                        kernel.setAffinity(tid[id], unpinned);
                    } catch (NativeException e) {
                        fault(label(id) + " (thread " + tid[id] + "): cannot unpin it for the sched_ext scheduler: "
                                + e.getMessage());
                    }
                    applied[id].clear();
                    schedExt.thread(tid[id], category[id]);
                    categoryInKernel[id] = category[id];
                }
            }
        } else if (!now && inKernel) {
            for (BitSet a : applied) {
                a.clear(); // pinned again by the next apply, whatever was applied before
            }
        }
        inKernel = now;
    }

    /** The vCPU's work for this round, or null if it has none. */
    private RunQueueSummary nextWork(int id, long now) {
        long arrived = vmOf[id].take(indexInVm[id], summaryAt[id], summary, id);
        if (arrived != 0) {
            summaryAt[id] = now;
            frameArrivedAt[id] = arrived;
        }
        long run = runNanos(id);
        long ranFor = run - lastRunNanos[id];
        lastRunNanos[id] = run;
        if (now - summaryAt[id] < SUMMARY_MAX_AGE_NANOS && summaryAt[id] != 0) {
            return summary[id].taskCount() > 0 ? summary[id] : null;
        }
        if (ranFor <= 0) {
            return null;
        }
        // No (recent) guest summary: what the thread did is all we know, and it says nothing about I/O.
        return summary[id].clear().addTask(ranFor);
    }

    private long runNanos(int id) {
        return proc.schedStat(vmOf[id].qemuPid, tid[id]).map(SchedStat::runNanos).orElse(lastRunNanos[id]);
    }

    private void apply() {
        for (int id = 0; id < vmOf.length; id++) {
            BitSet want = target[id];
            if (want.isEmpty() || want.equals(applied[id])) {
                measured(id);
                continue;
            }
            try {
                kernel.setAffinity(tid[id], want);
                BitSet got = kernel.affinity(tid[id]);
                if (!got.equals(want)) {
                    fault(label(id) + " (thread " + tid[id] + "): affinity set to " + want + " but reads back " + got);
                }
                applied[id].clear();
                applied[id].or(got);
                measured(id);
            } catch (NativeException e) {
                fault(label(id) + " (thread " + tid[id] + "): " + e.getMessage());
            }
        }
    }

    /** The placement based on the vCPU's newest frame is in force (if it has one to be in force). */
    private void measured(int id) {
        if (!target[id].isEmpty()) {
            frameDecisionInForce(id);
        }
    }

    /**
     * The decision based on the vCPU's newest frame (placement or kernel category) is in
     * force: record how long it took.
     */
    private void frameDecisionInForce(int id) {
        if (frameArrivedAt[id] != 0) {
            frameToAffinity.recordValue(Math.max(0, (System.nanoTime() - frameArrivedAt[id]) / 1000));
            frameArrivedAt[id] = 0;
        }
    }

    /**
     * p50/p99/max of frame arrival → placement (or category in the kernel scheduler) in force since
     * the bridge attached, for the shell.
     */
    synchronized String frameToAffinity() {
        Histogram h = frameToAffinity.getIntervalHistogram();
        if (frameToAffinityTotal == null) {
            frameToAffinityTotal = h.copy();
        } else {
            frameToAffinityTotal.add(h);
        }
        Histogram t = frameToAffinityTotal;
        return t.getTotalCount() == 0 ? "no guest frame has led to a placement yet"
                : String.format("guest frame -> placement in force: p50 %.1f ms, p99 %.1f ms, max %.1f ms over %d decisions",
                        t.getValueAtPercentile(50) / 1e3, t.getValueAtPercentile(99) / 1e3, t.getMaxValue() / 1e3,
                        t.getTotalCount());
    }

    private String label(int id) {
        return vmOf[id].name + "/vcpu" + vmOf[id].vcpus.get(indexInVm[id]).cpuIndex();
    }

    private void fault(String what) {
        faults++;
        lastFault = faults + " placements not in force so far; last: " + what;
        lastFaultAt = System.nanoTime();
        faultLog.log(Level.WARNING, "KVM bridge: " + what + " (" + faults + " faults so far; logged at most once a minute)");
    }

    @Override
    public void queued(int pcpu, int vcpuId, IoCategory c) {
        category[vcpuId] = c;
        queuedOn[vcpuId] = pcpu;
        if (inKernel && !reserved[vcpuId]) {
            if (categoryInKernel[vcpuId] != c) {
                schedExt.thread(tid[vcpuId], c);
                categoryInKernel[vcpuId] = c;
            }
            frameDecisionInForce(vcpuId);
        }
    }

    @Override
    public void policyInForce(String policy, double overlapPercent) {
        schedExt.policy(policy, overlapPercent);
    }

    @Override
    public Enforcement enforcement() {
        return schedExt.enforcement(applyAffinity);
    }

    /** The thread ids of this bridge's vCPUs. */
    int[] vcpuThreads() {
        return tid.clone();
    }

    @Override
    public void start(int pcpu, int vcpuId) {
        runningVcpu[pcpu] = vcpuId;
        runningOn[vcpuId] = pcpu;
        queuedOn[vcpuId] = -1;
    }

    @Override
    public void preempt(int pcpu, int vcpuId) {
        if (runningVcpu[pcpu] == vcpuId) {
            runningVcpu[pcpu] = -1;
        }
        runningOn[vcpuId] = -1;
        queuedOn[vcpuId] = pcpu; // back in a queue; where exactly the next ready/dispatch decides
    }

    /**
     * Every configured reservation that is not in force (refused by admission or by the kernel):
     * those vCPUs run as ordinary threads.
     */
    @Override
    public String problem() {
        return java.util.stream.Stream.concat(vms.stream().flatMap(vm -> vm.reservationProblems.values().stream()),
                        java.util.stream.Stream.of(applyAffinity ? schedExt.problem() : ""))
                .filter(p -> !p.isEmpty())
                .collect(java.util.stream.Collectors.joining("; "));
    }

    /** The last placement not in force, while it is recent: within the last minute. */
    @Override
    public String fault() {
        String f = lastFault;
        String own = f.isEmpty() || System.nanoTime() - lastFaultAt > FAULT_MEMORY_NANOS ? "" : f;
        String kernel = schedExt.fault();
        return own.isEmpty() ? kernel : kernel.isEmpty() ? own : own + "; " + kernel;
    }

    /**
     * One line about vCPU {@code index} of {@code vm} for the shell: its thread, the category the
     * scheduler classified it into, where it runs or waits, and the affinity applied. Read without
     * locking while the tick runs, so it may mix two rounds.
     */
    String describe(Vm vm, int index) {
        for (int id = 0; id < vmOf.length; id++) {
            if (vmOf[id] == vm && indexInVm[id] == index) {
                String where = runningOn[id] >= 0 ? "running on pCPU " + runningOn[id]
                        : queuedOn[id] >= 0 ? "queued on pCPU " + queuedOn[id] : "idle";
                var r = vm.reservations.get(index);
                String refused = vm.reservationProblems.get(index);
                IoCategory inKernelAs = categoryInKernel[id];
                return "vcpu" + vm.vcpus.get(index).cpuIndex() + " thread " + tid[id] + "  " + category[id] + "  "
                        + where + (r != null ? "  reserved " + r.describe()
                                : inKernel && inKernelAs != null ? "  sched_ext category " + inKernelAs
                                : "  affinity " + (applied[id].isEmpty() ? "unchanged" : applied[id]))
                        + (refused == null ? "" : "  (" + refused + ")");
            }
        }
        return "vcpu" + vm.vcpus.get(index).cpuIndex() + " thread " + vm.vcpus.get(index).threadId()
                + "  (not attached to a scheduler)";
    }
}
