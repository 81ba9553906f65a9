package io.isochron.scheduler.core;

import io.isochron.api.IoCategory;
import io.isochron.api.scheduling.Placement;
import io.isochron.api.scheduling.SchedulerView;
import io.isochron.api.scheduling.VcpuView;

/**
 * Partitioned, preemptive EDF, optionally with the interference-aware refinement.
 *
 * <p>Placement: a vCPU stays on the pCPU it was first placed on; a new vCPU goes to the pCPU with
 * the lowest declared utilisation (sum of C/T, or C/D without a period, of the vCPUs already
 * there; worst fit; ties to the pCPU with fewer vCPUs, then the lowest index). The placement depends only on the vCPUs' declared parameters and arrival order,
 * never on how they were scheduled, so plain EDF and the refinement partition a task set alike.
 *
 * <p>Base order: the queued vCPU with the earliest absolute deadline runs (the running one wins
 * ties). Refinement: if that vCPU's category runs on another pCPU, the earliest-deadline queued
 * vCPU whose category does not may run instead — only if a processor-demand check proves that
 * running it to completion first and EDF after that still meets every deadline on this pCPU: the
 * deadlines of all queued jobs and of every job the periodic/sporadic vCPUs homed here can still
 * release (their next release no earlier than last release + period). Otherwise EDF's choice
 * stands. Aperiodic vCPUs' future jobs are unknown and not covered by the guarantee.
 */
public final class Edf implements Placement {
    public static final String PLAIN_NAME = "edf";
    public static final String REFINED_NAME = "edf-refinement";
    /** Beyond this many demand checkpoints the check gives up, and EDF's choice stands. */
    static final int MAX_CHECKPOINTS = 512;

    private final boolean refine;

    public Edf(boolean refine) {
        this.refine = refine;
    }

    @Override
    public String policyName() {
        return refine ? REFINED_NAME : PLAIN_NAME;
    }

    @Override
    public double overlapPercent() {
        return 0;
    }

    @Override
    public boolean preemptive() {
        return true;
    }

    @Override
    public int place(VcpuView ready, SchedulerView view) {
        if (ready.homePcpu() >= 0) {
            return ready.homePcpu();
        }
        int best = 0;
        double bestLoad = Double.MAX_VALUE;
        int bestCount = Integer.MAX_VALUE;
        for (int p = 0; p < view.pcpuCount(); p++) {
            double load = 0;
            int count = 0;
            for (int id = 0; id < view.vcpuCount(); id++) {
                VcpuView v = view.vcpu(id);
                if (v.homePcpu() == p) {
                    load += declaredUtilization(v);
                    count++;
                }
            }
            if (load < bestLoad || (load == bestLoad && count < bestCount)) {
                best = p;
                bestLoad = load;
                bestCount = count;
            }
        }
        return best;
    }

    private static double declaredUtilization(VcpuView v) {
        long window = v.periodNanos() > 0 ? v.periodNanos() : v.relativeDeadlineNanos();
        return window > 0 ? (double) v.expectedRunNanos() / window : 0;
    }

    @Override
    public int select(int pcpu, SchedulerView view) {
        int n = view.queueLength(pcpu);
        if (n == 0) {
            return IDLE;
        }
        int running = view.runningIndex(pcpu);
        int edf = running >= 0 ? running : 0;
        for (int i = 0; i < n; i++) {
            if (view.queued(pcpu, i).absoluteDeadline() < view.queued(pcpu, edf).absoluteDeadline()) {
                edf = i;
            }
        }
        if (!refine || !conflicts(view.queued(pcpu, edf), pcpu, view)) {
            return edf;
        }
        int alternative = -1;
        for (int i = 0; i < n; i++) {
            VcpuView v = view.queued(pcpu, i);
            if ((alternative < 0 || v.absoluteDeadline() < view.queued(pcpu, alternative).absoluteDeadline())
                    && !conflicts(v, pcpu, view) && runsFirstSafely(i, pcpu, view)) {
                alternative = i;
            }
        }
        return alternative >= 0 ? alternative : edf;
    }

    private static boolean conflicts(VcpuView v, int pcpu, SchedulerView view) {
        IoCategory k = v.category();
        if (!k.isComponent()) {
            return false;
        }
        for (int q = 0; q < view.pcpuCount(); q++) {
            if (q != pcpu) {
                VcpuView r = view.running(q);
                if (r != null && r.category() == k) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Processor-demand check for "run queue entry {@code first} to completion, then EDF": for every
     * deadline t in the busy-period bound, the work of {@code first} plus the work due by t of the
     * other queued jobs and of the jobs still to be released must fit in t - now.
     */
    boolean runsFirstSafely(int first, int pcpu, SchedulerView view) {
        long now = view.now();
        int n = view.queueLength(pcpu);
        double utilization = 0;
        double work = 0;
        for (int i = 0; i < n; i++) {
            work += view.queued(pcpu, i).remainingNanos();
        }
        for (int id = 0; id < view.vcpuCount(); id++) {
            VcpuView v = view.vcpu(id);
            if (v.homePcpu() == pcpu && v.periodNanos() > 0) {
                utilization += (double) v.expectedRunNanos() / v.periodNanos();
                work += v.expectedRunNanos();
            }
        }
        if (utilization >= 1.0) {
            return false;
        }
        // Demand never exceeds supply beyond this point: demand(t) <= work + U (t - now).
        long horizon = now + (long) Math.ceil(work / (1.0 - utilization));
        int checkpoints = 0;
        for (int i = 0; i < n; i++) {
            long d = view.queued(pcpu, i).absoluteDeadline();
            if (d <= horizon) {
                if (++checkpoints > MAX_CHECKPOINTS || !demandFits(d, first, pcpu, view)) {
                    return false;
                }
            }
        }
        for (int id = 0; id < view.vcpuCount(); id++) {
            VcpuView v = view.vcpu(id);
            if (v.homePcpu() != pcpu || v.periodNanos() <= 0) {
                continue;
            }
            for (long d = nextRelease(v, now) + relativeDeadline(v); d <= horizon; d += v.periodNanos()) {
                if (++checkpoints > MAX_CHECKPOINTS || !demandFits(d, first, pcpu, view)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean demandFits(long t, int first, int pcpu, SchedulerView view) {
        long now = view.now();
        long demand = view.queued(pcpu, first).remainingNanos();
        int n = view.queueLength(pcpu);
        for (int i = 0; i < n; i++) {
            VcpuView q = view.queued(pcpu, i);
            if (i != first && q.absoluteDeadline() <= t) {
                demand += q.remainingNanos();
            }
        }
        for (int id = 0; id < view.vcpuCount(); id++) {
            VcpuView v = view.vcpu(id);
            if (v.homePcpu() != pcpu || v.periodNanos() <= 0) {
                continue;
            }
            long firstDeadline = nextRelease(v, now) + relativeDeadline(v);
            if (t >= firstDeadline) {
                demand += ((t - firstDeadline) / v.periodNanos() + 1) * v.expectedRunNanos();
            }
        }
        return demand <= t - now;
    }

    /** Earliest time the vCPU's next job can be released. */
    private static long nextRelease(VcpuView v, long now) {
        long next = v.releaseTime() + v.periodNanos();
        return Math.max(next, now);
    }

    private static long relativeDeadline(VcpuView v) {
        return v.relativeDeadlineNanos() > 0 ? v.relativeDeadlineNanos() : v.periodNanos();
    }
}
