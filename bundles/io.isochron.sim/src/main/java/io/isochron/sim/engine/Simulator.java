package io.isochron.sim.engine;

import io.isochron.api.IoCategory;
import io.isochron.api.scheduling.Placement;
import io.isochron.api.scheduling.RunQueueSummary;
import io.isochron.scheduler.core.Classifier;
import io.isochron.scheduler.core.RunQueues;
import io.isochron.scheduler.core.VcpuSlot;
import io.isochron.sim.scenario.Job;
import io.isochron.sim.scenario.Scenario;
import io.isochron.sim.scenario.VcpuSpec;
import io.isochron.sim.scenario.VmSpec;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * Deterministic discrete-event simulation of a scenario under one placement.
 *
 * <p>Model: each running job loads every component by its utilisation; a component's demand is
 * the sum over running jobs. Where demand exceeds 100 %, the jobs using that component progress at
 * 100/demand of full speed (the slowest of their components wins) and keep their pCPU while
 * stalled — the blocking the paper shows for its baseline. A vCPU runs one job at a time: its next
 * job becomes ready at its arrival or when the previous one completes, whichever is later. Events
 * of the same instant are applied together (completions, then arrivals, then one dispatch).
 */
public final class Simulator implements RunQueues.Listener {
    private static final double NANOS_PER_MILLI = 1e6;
    /** Remaining work at or below this many ns counts as done (fractional progress under stretching). */
    private static final double DONE_EPSILON = 1e-6;

    private final Scenario scenario;
    private final Placement placement;
    private final int pcpus;
    private final RunQueues queues;
    private final ReadyHeap readyHeap;
    private final RunQueueSummary summary = new RunQueueSummary();
    private final Trace trace;

    // Per vCPU (dense id).
    private final VcpuSpec[] specs;
    private final String[] labels;
    private final int[] nextJob;
    private final int[] currentJob;
    private final double[] remainingWork;
    private final long[] readyAt;
    private final boolean[] startedOnce;

    // Per pCPU.
    private final int[] runningVcpu;
    private final long[] segmentStart;
    private final double[] segmentStall;
    private final double[] busy;
    private final double[] stalled;
    private final double[] idle;

    // Per component.
    private final double[] demand = new double[IoCategory.COMPONENT_COUNT];
    private final double[] demandIntegral = new double[IoCategory.COMPONENT_COUNT];
    private final double[] peak = new double[IoCategory.COMPONENT_COUNT];
    private final double[] overload = new double[IoCategory.COMPONENT_COUNT];
    private final double[] coRunning = new double[IoCategory.COMPONENT_COUNT];
    private final int[] runningPerCategory = new int[IoCategory.COMPONENT_COUNT];
    private final double[] speed;

    private final Histogram waiting = new Histogram(3);
    private final Histogram response = new Histogram(3);
    private long now;
    private long events;
    private long completedJobs;
    private long deadlineMisses;
    private long lastCompletion;

    private Simulator(Scenario scenario, Placement placement, boolean recordTrace) {
        this.scenario = scenario;
        this.placement = placement;
        this.pcpus = scenario.pcpus();
        this.queues = new RunQueues(pcpus, placement, new Classifier(), this);
        int n = scenario.vcpuCount();
        this.readyHeap = new ReadyHeap(n);
        this.trace = recordTrace ? new Trace(pcpus) : null;
        specs = new VcpuSpec[n];
        labels = new String[n];
        nextJob = new int[n];
        currentJob = new int[n];
        remainingWork = new double[n];
        readyAt = new long[n];
        startedOnce = new boolean[n];
        runningVcpu = new int[pcpus];
        segmentStart = new long[pcpus];
        segmentStall = new double[pcpus];
        busy = new double[pcpus];
        stalled = new double[pcpus];
        idle = new double[pcpus];
        speed = new double[pcpus];
        java.util.Arrays.fill(runningVcpu, -1);
        java.util.Arrays.fill(speed, 1.0);
        int vmIndex = 0;
        for (VmSpec vm : scenario.vms()) {
            for (VcpuSpec v : vm.vcpus()) {
                VcpuSlot slot = queues.register(vmIndex, v.index());
                int id = slot.id();
                specs[id] = v;
                labels[id] = vm.name() + "/" + v.index();
                currentJob[id] = -1;
                if (!v.jobs().isEmpty()) {
                    readyHeap.push(id, v.jobs().get(0).arrivalNanos());
                }
            }
            vmIndex++;
        }
    }

    /** Runs {@code scenario} to completion under {@code placement}. */
    public static SimulationResult run(Scenario scenario, Placement placement, boolean recordTrace) {
        return new Simulator(scenario, placement, recordTrace).run();
    }

    private SimulationResult run() {
        while (true) {
            long nextArrival = readyHeap.peekTime();
            long nextCompletion = nextCompletion();
            long t = Math.min(nextArrival, nextCompletion);
            if (t == Long.MAX_VALUE) {
                break;
            }
            advanceTo(t);
            for (int p = 0; p < pcpus; p++) {
                int v = runningVcpu[p];
                if (v >= 0 && remainingWork[v] <= DONE_EPSILON) {
                    complete(p, v);
                }
            }
            while (readyHeap.peekTime() == t) {
                release(readyHeap.pop());
            }
            queues.dispatch(t);
            updateDemand();
        }
        return result();
    }

    private long nextCompletion() {
        long best = Long.MAX_VALUE;
        for (int p = 0; p < pcpus; p++) {
            int v = runningVcpu[p];
            if (v >= 0) {
                double dt = Math.ceil(Math.max(0, remainingWork[v]) / speed[p] - DONE_EPSILON);
                best = Math.min(best, now + (long) Math.max(0, dt));
            }
        }
        return best;
    }

    private void advanceTo(long t) {
        double dt = t - now;
        if (dt > 0) {
            for (int k = 0; k < IoCategory.COMPONENT_COUNT; k++) {
                demandIntegral[k] += demand[k] * dt;
                if (demand[k] > 100.0 + 1e-9) {
                    overload[k] += dt;
                }
                if (runningPerCategory[k] >= 2) {
                    coRunning[k] += dt;
                }
            }
            for (int p = 0; p < pcpus; p++) {
                int v = runningVcpu[p];
                if (v < 0) {
                    idle[p] += dt;
                } else {
                    double s = speed[p];
                    remainingWork[v] -= s * dt;
                    busy[p] += s * dt;
                    stalled[p] += (1 - s) * dt;
                    segmentStall[p] += (1 - s) * dt;
                }
            }
        }
        now = t;
    }

    private void release(int v) {
        Job job = specs[v].jobs().get(nextJob[v]);
        currentJob[v] = nextJob[v]++;
        remainingWork[v] = job.cpuNanos();
        readyAt[v] = now;
        startedOnce[v] = false;
        summary.clear().addTask(job.cpuNanos(), job.ioPercent());
        queues.classifyAndPlace(queues.placement(), v, summary, now, job.arrivalNanos(),
                specs[v].periodNanos(), job.relativeDeadlineNanos());
        events++;
    }

    private void complete(int p, int v) {
        closeSegment(p, v);
        queues.finish(p, now);
        runningVcpu[p] = -1;
        Job job = specs[v].jobs().get(currentJob[v]);
        response.recordValue(now - job.arrivalNanos());
        if (job.relativeDeadlineNanos() > 0 && now > job.arrivalNanos() + job.relativeDeadlineNanos()) {
            deadlineMisses++;
        }
        completedJobs++;
        lastCompletion = now;
        currentJob[v] = -1;
        events++;
        if (nextJob[v] < specs[v].jobs().size()) {
            readyHeap.push(v, Math.max(now, specs[v].jobs().get(nextJob[v]).arrivalNanos()));
        }
    }

    @Override
    public void started(int pcpu, VcpuSlot vcpu, long at) {
        int v = vcpu.id();
        runningVcpu[pcpu] = v;
        segmentStart[pcpu] = at;
        segmentStall[pcpu] = 0;
        if (!startedOnce[v]) {
            startedOnce[v] = true;
            waiting.recordValue(at - readyAt[v]);
        }
        events++;
    }

    @Override
    public void preempted(int pcpu, VcpuSlot vcpu, long at) {
        int v = vcpu.id();
        closeSegment(pcpu, v);
        runningVcpu[pcpu] = -1;
        // The guest knows its true progress; the scheduler's prediction is corrected with it.
        queues.setRemaining(v, (long) Math.ceil(Math.max(0, remainingWork[v])));
        events++;
    }

    private void closeSegment(int p, int v) {
        if (trace != null && now > segmentStart[p]) {
            trace.addSegment(new Trace.Segment(p, segmentStart[p], now, labels[v],
                    queues.slot(v).category(), Math.round(segmentStall[p])));
        }
    }

    /** Recomputes component demand, the speed of every running job and the co-running counts. */
    private void updateDemand() {
        java.util.Arrays.fill(demand, 0);
        java.util.Arrays.fill(runningPerCategory, 0);
        for (int p = 0; p < pcpus; p++) {
            int v = runningVcpu[p];
            if (v >= 0) {
                Job job = specs[v].jobs().get(currentJob[v]);
                for (int k = 0; k < IoCategory.COMPONENT_COUNT; k++) {
                    demand[k] += job.ioPercent(k);
                }
                IoCategory c = queues.slot(v).category();
                if (c.isComponent()) {
                    runningPerCategory[c.ordinal()]++;
                }
            }
        }
        for (int k = 0; k < IoCategory.COMPONENT_COUNT; k++) {
            peak[k] = Math.max(peak[k], demand[k]);
        }
        for (int p = 0; p < pcpus; p++) {
            int v = runningVcpu[p];
            double s = 1.0;
            if (v >= 0) {
                Job job = specs[v].jobs().get(currentJob[v]);
                for (int k = 0; k < IoCategory.COMPONENT_COUNT; k++) {
                    if (job.ioPercent(k) > 0 && demand[k] > 100.0) {
                        s = Math.min(s, 100.0 / demand[k]);
                    }
                }
            }
            speed[p] = s;
        }
        if (trace != null) {
            trace.addDemand(now, demand);
        }
    }

    private SimulationResult result() {
        double makespan = lastCompletion;
        List<SimulationResult.ComponentMetrics> components = new ArrayList<>();
        Map<IoCategory, Double> coRun = new EnumMap<>(IoCategory.class);
        double totalCoRun = 0;
        for (int k = 0; k < IoCategory.COMPONENT_COUNT; k++) {
            IoCategory c = IoCategory.component(k);
            components.add(new SimulationResult.ComponentMetrics(c,
                    makespan > 0 ? demandIntegral[k] / makespan : 0, peak[k], overload[k] / NANOS_PER_MILLI));
            coRun.put(c, coRunning[k] / NANOS_PER_MILLI);
            totalCoRun += coRunning[k];
        }
        List<SimulationResult.CoreMetrics> cores = new ArrayList<>();
        double stallTotal = 0;
        for (int p = 0; p < pcpus; p++) {
            cores.add(new SimulationResult.CoreMetrics(p, busy[p] / NANOS_PER_MILLI,
                    stalled[p] / NANOS_PER_MILLI, idle[p] / NANOS_PER_MILLI));
            stallTotal += stalled[p];
        }
        return new SimulationResult(scenario.name(), placement.policyName(), placement.overlapPercent(), pcpus,
                completedJobs, makespan / NANOS_PER_MILLI, deadlineMisses, totalCoRun / NANOS_PER_MILLI,
                stallTotal / NANOS_PER_MILLI, stats(waiting), stats(response), components, cores, coRun,
                events, queues.decisions(), trace);
    }

    private static SimulationResult.TimeStats stats(Histogram h) {
        if (h.getTotalCount() == 0) {
            return new SimulationResult.TimeStats(0, 0, 0, 0);
        }
        return new SimulationResult.TimeStats(h.getMean() / NANOS_PER_MILLI,
                h.getValueAtPercentile(50) / NANOS_PER_MILLI, h.getValueAtPercentile(99) / NANOS_PER_MILLI,
                h.getMaxValue() / NANOS_PER_MILLI);
    }
}
