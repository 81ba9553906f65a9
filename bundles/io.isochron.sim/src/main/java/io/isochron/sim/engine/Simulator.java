package io.isochron.sim.engine;

import io.isochron.api.IoCategory;
import io.isochron.api.runtime.SchedulerSink;
import io.isochron.api.scheduling.Placement;
import io.isochron.api.scheduling.RunQueueSummary;
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
 *
 * <p>The simulator plays the hypervisor: it reports to a {@link SchedulerSink} and applies the
 * decisions it gets back through {@link #start} and {@link #preempt}. Offline the sink is a local
 * scheduling unit ({@link #run}); in the appliance it is the scheduler service, and a
 * {@link Pacer} ties simulated time to the wall clock.
 */
public final class Simulator {

    /** Lets simulated time pass; the appliance sleeps, offline runs do not wait at all. */
    public interface Pacer {
        /** Waits until {@code simNanos}; returns false to stop the run. */
        boolean awaitSimTime(long simNanos);
    }

    private static final Pacer NO_WAIT = t -> true;
    private static final double NANOS_PER_MILLI = 1e6;
    /** Remaining work at or below this many ns counts as done (fractional progress under stretching). */
    private static final double DONE_EPSILON = 1e-6;

    private final Scenario scenario;
    private final String policyName;
    private final double overlapPercent;
    private final int pcpus;
    private final SchedulerSink sink;
    private final Pacer pacer;
    private final boolean repeat;
    private final ReadyHeap readyHeap;
    private final RunQueueSummary summary = new RunQueueSummary();
    private final Trace trace;

    // Per vCPU (dense id).
    private final VcpuSpec[] specs;
    private final String[] labels;
    private final int[] sinkId;
    private int[] localOf = new int[16];
    /** The category the scheduler classified each vCPU's current job into. */
    private final IoCategory[] category;
    private final long[] nextJob;
    private final long[] cycle;
    private final int[] currentJob;
    private final long[] currentRelease;
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
    private long decisions;

    /**
     * @param policyName label of the result (the sink decides; the simulator does not know how)
     * @param repeat restart every vCPU's job list after its last job, shifted by the list's span
     *     plus one period, so that jobs keep arriving
     */
    public Simulator(Scenario scenario, SchedulerSink sink, String policyName, double overlapPercent,
            boolean recordTrace, boolean repeat, Pacer pacer) {
        this.scenario = scenario;
        this.policyName = policyName;
        this.overlapPercent = overlapPercent;
        this.pcpus = scenario.pcpus();
        this.sink = sink;
        this.pacer = pacer;
        this.repeat = repeat;
        int n = scenario.vcpuCount();
        this.readyHeap = new ReadyHeap(n);
        this.trace = recordTrace ? new Trace(pcpus) : null;
        specs = new VcpuSpec[n];
        labels = new String[n];
        sinkId = new int[n];
        category = new IoCategory[n];
        nextJob = new long[n];
        cycle = new long[n];
        currentJob = new int[n];
        currentRelease = new long[n];
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
        int id = 0;
        for (VmSpec vm : scenario.vms()) {
            for (VcpuSpec v : vm.vcpus()) {
                specs[id] = v;
                labels[id] = vm.name() + "/" + v.index();
                currentJob[id] = -1;
                category[id] = IoCategory.NONE;
                List<Job> jobs = v.jobs();
                if (!jobs.isEmpty()) {
                    long span = jobs.get(jobs.size() - 1).arrivalNanos() - jobs.get(0).arrivalNanos();
                    cycle[id] = span + Math.max(v.periodNanos(), jobs.get(jobs.size() - 1).cpuNanos());
                    readyHeap.push(id, jobs.get(0).arrivalNanos());
                }
                id++;
            }
        }
    }

    /** Runs {@code scenario} to completion under {@code placement}, offline. */
    public static SimulationResult run(Scenario scenario, Placement placement, boolean recordTrace) {
        LocalScheduler local = new LocalScheduler(scenario.pcpus(), placement);
        Simulator sim = new Simulator(scenario, local, placement.policyName(), placement.overlapPercent(),
                recordTrace, false, NO_WAIT);
        local.attach(sim);
        return sim.run();
    }

    /**
     * Registers the vCPUs with the sink and simulates until every job is done (never, with
     * {@code repeat}) or the pacer says stop.
     */
    public SimulationResult run() {
        for (int v = 0; v < sinkId.length; v++) {
            int sid = sink.registerVcpu(labels[v].substring(0, labels[v].lastIndexOf('/')), specs[v].index());
            sinkId[v] = sid;
            if (sid >= localOf.length) {
                localOf = java.util.Arrays.copyOf(localOf, Math.max(sid + 1, localOf.length * 2));
            }
            localOf[sid] = v;
        }
        loop();
        return result();
    }

    private void loop() {
        while (true) {
            long nextArrival = readyHeap.peekTime();
            long nextCompletion = nextCompletion();
            long t = Math.min(nextArrival, nextCompletion);
            if (t == Long.MAX_VALUE || !pacer.awaitSimTime(t)) {
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
            sink.dispatch(t);
            updateDemand();
        }
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

    private Job job(int v, long index) {
        List<Job> jobs = specs[v].jobs();
        return jobs.get((int) (index % jobs.size()));
    }

    /** Release time of the {@code index}-th job of vCPU {@code v}, counting repetitions. */
    private long releaseTime(int v, long index) {
        int n = specs[v].jobs().size();
        return job(v, index).arrivalNanos() + (index / n) * cycle[v];
    }

    private boolean hasJob(int v, long index) {
        return repeat || index < specs[v].jobs().size();
    }

    private void release(int v) {
        long index = nextJob[v]++;
        Job job = job(v, index);
        currentJob[v] = (int) (index % specs[v].jobs().size());
        currentRelease[v] = releaseTime(v, index);
        remainingWork[v] = job.cpuNanos();
        readyAt[v] = now;
        startedOnce[v] = false;
        summary.clear().addTask(job.cpuNanos(), job.ioPercent());
        sink.ready(sinkId[v], summary, now, currentRelease[v], specs[v].periodNanos(), job.relativeDeadlineNanos());
        decisions++;
        events++;
    }

    private void complete(int p, int v) {
        closeSegment(p, v);
        sink.finished(p, now);
        runningVcpu[p] = -1;
        Job job = specs[v].jobs().get(currentJob[v]);
        long release = currentRelease[v];
        response.recordValue(now - release);
        if (job.relativeDeadlineNanos() > 0 && now > release + job.relativeDeadlineNanos()) {
            deadlineMisses++;
        }
        completedJobs++;
        lastCompletion = now;
        currentJob[v] = -1;
        events++;
        if (hasJob(v, nextJob[v])) {
            readyHeap.push(v, Math.max(now, releaseTime(v, nextJob[v])));
        }
    }

    /** Decision of the scheduler: vCPU {@code vcpuId} (the sink's id), classified as {@code c}, waits on {@code pcpu}. */
    public void queued(int pcpu, int vcpuId, IoCategory c) {
        category[localOf[vcpuId]] = c;
    }

    /** Decision of the scheduler: vCPU {@code vcpuId} (the sink's id) runs on {@code pcpu} from now. */
    public void start(int pcpu, int vcpuId) {
        int v = localOf[vcpuId];
        runningVcpu[pcpu] = v;
        segmentStart[pcpu] = now;
        segmentStall[pcpu] = 0;
        if (!startedOnce[v]) {
            startedOnce[v] = true;
            waiting.recordValue(now - readyAt[v]);
        }
        events++;
    }

    /** Decision of the scheduler: vCPU {@code vcpuId} stops running on {@code pcpu} before its job is done. */
    public void preempt(int pcpu, int vcpuId) {
        int v = localOf[vcpuId];
        closeSegment(pcpu, v);
        runningVcpu[pcpu] = -1;
        events++;
    }

    private void closeSegment(int p, int v) {
        if (trace != null && now > segmentStart[p]) {
            trace.addSegment(new Trace.Segment(p, segmentStart[p], now, labels[v], category[v],
                    Math.round(segmentStall[p])));
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
                IoCategory c = category[v];
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
        return new SimulationResult(scenario.name(), policyName, overlapPercent, pcpus,
                completedJobs, makespan / NANOS_PER_MILLI, deadlineMisses, totalCoRun / NANOS_PER_MILLI,
                stallTotal / NANOS_PER_MILLI, stats(waiting), stats(response), components, cores, coRun,
                events, decisions, trace);
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
