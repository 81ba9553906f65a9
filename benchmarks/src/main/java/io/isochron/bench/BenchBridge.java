package io.isochron.bench;

import io.isochron.api.IoCategory;
import io.isochron.api.runtime.HypervisorBridge;
import io.isochron.api.runtime.SchedulerSink;
import io.isochron.api.scheduling.RunQueueSummary;
import io.isochron.scheduler.internal.EdfPolicy;
import io.isochron.scheduler.internal.EdfRefinementPolicy;
import io.isochron.scheduler.internal.InterferenceAwarePolicy;
import io.isochron.scheduler.internal.SchedulerService;
import io.isochron.scheduler.internal.ShortestQueuePolicy;
import java.util.Arrays;

/**
 * A hypervisor bridge for benchmarks: registers its vCPUs (categories in turn, 1 ms jobs) and makes
 * them all ready on attach; {@link #round} plays one instant on the calling thread — what runs
 * finishes, every idle vCPU becomes ready again, the scheduler dispatches. Allocation-free rounds.
 */
final class BenchBridge implements HypervisorBridge {
    /** Held, so that Java logging does not forget the level set on it. */
    private static final java.util.logging.Logger QUIET = java.util.logging.Logger.getLogger("io.isochron.scheduler");
    private final int pcpus;
    private final int vcpus;
    private final RunQueueSummary[] work;
    private final int[] runningOn;
    private final boolean[] waiting;
    private SchedulerSink sink;

    /**
     * A scheduler service with the built-in policies, attached to a new bench bridge, its per-switch
     * audit line silenced so that the console does not dominate; no ConfigAdmin.
     */
    static SchedulerService scheduler(BenchBridge bridge) {
        QUIET.setLevel(java.util.logging.Level.WARNING);
        SchedulerService service = new SchedulerService();
        service.addPolicy(new ShortestQueuePolicy());
        service.addPolicy(new InterferenceAwarePolicy());
        service.addPolicy(new EdfRefinementPolicy());
        service.addPolicy(new EdfPolicy());
        service.setBridge(bridge);
        return service;
    }

    BenchBridge(int pcpus, int vcpus) {
        this.pcpus = pcpus;
        this.vcpus = vcpus;
        this.work = new RunQueueSummary[vcpus];
        this.runningOn = new int[pcpus];
        this.waiting = new boolean[vcpus];
        for (int v = 0; v < vcpus; v++) {
            IoCategory c = IoCategory.values()[v % IoCategory.values().length];
            work[v] = new RunQueueSummary().addHintedTask(1_000_000, c, c.isComponent() ? 30 : 0);
        }
    }

    @Override
    public String name() {
        return "bench";
    }

    @Override
    public int pcpuCount() {
        return pcpus;
    }

    @Override
    public void attach(SchedulerSink s) {
        sink = s;
        Arrays.fill(runningOn, -1);
        for (int v = 0; v < vcpus; v++) {
            s.registerVcpu("vm" + v, 0);
        }
        round(0);
    }

    /** One instant at {@code now} (ns, increasing): finish, make ready, dispatch. */
    void round(long now) {
        for (int p = 0; p < pcpus; p++) {
            if (runningOn[p] >= 0) {
                runningOn[p] = -1;
                sink.finished(p, now);
            }
        }
        for (int v = 0; v < vcpus; v++) {
            if (!waiting[v]) {
                waiting[v] = true;
                sink.ready(v, work[v], now, now, 0, 0);
            }
        }
        sink.dispatch(now);
    }

    @Override
    public void detach(SchedulerSink s) {
        sink = null;
    }

    @Override
    public void queued(int pcpu, int vcpuId, IoCategory category) {}

    @Override
    public void start(int pcpu, int vcpuId) {
        runningOn[pcpu] = vcpuId;
        waiting[vcpuId] = false;
    }

    @Override
    public void preempt(int pcpu, int vcpuId) {
        runningOn[pcpu] = -1;
    }
}
