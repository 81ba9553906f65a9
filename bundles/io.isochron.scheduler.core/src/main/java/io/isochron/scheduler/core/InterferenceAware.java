package io.isochron.scheduler.core;

import io.isochron.api.IoCategory;
import io.isochron.api.scheduling.Placement;
import io.isochron.api.scheduling.SchedulerView;
import io.isochron.api.scheduling.VcpuView;

/**
 * The paper's interference-aware policy, standalone.
 *
 * <p>Admission (enforced when a pCPU picks what to start): a vCPU of category K may start while
 * other vCPUs of K run on other pCPUs only if (a) its utilisation plus theirs stays ≤ 100 % of K's
 * component and (b) the predicted co-running time — the shorter of its expected run time and the
 * longest remaining time among them — is at most O % of its expected run time. With O = 0 it may
 * not start while any vCPU of K runs elsewhere. NONE never conflicts. A pCPU starts the first
 * admissible vCPU of its queue, or stays idle until something finishes.
 *
 * <p>Placement: the pCPU where the vCPU is predicted to start earliest — when the pCPU's queue has
 * drained and no vCPU of the same category is predicted to run on another pCPU for longer than the
 * overlap budget (O % of its expected run time) allows; on a tie the pCPU
 * that would sit idle waiting the least, then the shorter queue, then the lower index. Same-category vCPUs therefore tend to queue behind each
 * other on one pCPU instead of waiting idle on several.
 */
public final class InterferenceAware implements Placement {
    public static final String NAME = "interference-aware";
    private static final double CAPACITY_PERCENT = 100.0;
    private static final double EPSILON = 1e-9;

    private final double overlapPercent;

    public InterferenceAware(double overlapPercent) {
        if (!(overlapPercent >= 0 && overlapPercent <= 100)) {
            throw new IllegalArgumentException("overlapPercent must be within 0..100, got " + overlapPercent);
        }
        this.overlapPercent = overlapPercent;
    }

    @Override
    public String policyName() {
        return NAME;
    }

    @Override
    public double overlapPercent() {
        return overlapPercent;
    }

    @Override
    public boolean preemptive() {
        return false;
    }

    @Override
    public int select(int pcpu, SchedulerView view) {
        int n = view.queueLength(pcpu);
        for (int i = 0; i < n; i++) {
            if (admissible(view.queued(pcpu, i), pcpu, view)) {
                return i;
            }
        }
        return IDLE;
    }

    /** Whether {@code v} may start on {@code pcpu} now, given what runs on the other pCPUs. */
    public boolean admissible(VcpuView v, int pcpu, SchedulerView view) {
        IoCategory k = v.category();
        if (!k.isComponent()) {
            return true;
        }
        double demand = v.ioPercent();
        long longestOther = 0;
        boolean anyOther = false;
        for (int q = 0; q < view.pcpuCount(); q++) {
            VcpuView r = q == pcpu ? null : view.running(q);
            if (r != null && r.category() == k) {
                anyOther = true;
                demand += r.ioPercent();
                longestOther = Math.max(longestOther, r.remainingNanos());
            }
        }
        if (!anyOther) {
            return true;
        }
        if (overlapPercent == 0 || demand > CAPACITY_PERCENT + EPSILON) {
            return false;
        }
        long own = v.remainingNanos();
        long coRunning = Math.min(own, longestOther);
        return coRunning <= overlapPercent / 100.0 * own + EPSILON;
    }

    @Override
    public int place(VcpuView ready, SchedulerView view) {
        IoCategory k = ready.category();
        long now = view.now();
        int m = view.pcpuCount();
        // Latest predicted end of a category-K vCPU per pCPU, kept as the two largest so that
        // "latest on any other pCPU" is O(1) per candidate.
        long top1 = now;
        long top2 = now;
        int top1Pcpu = -1;
        if (k.isComponent() && overlapPercent < 100) {
            for (int q = 0; q < m; q++) {
                long end = latestEndOf(k, q, view, now);
                if (end > top1) {
                    top2 = top1;
                    top1 = end;
                    top1Pcpu = q;
                } else if (end > top2) {
                    top2 = end;
                }
            }
        }
        // The overlap budget lets it start that much before the last same-category vCPU ends.
        long budget = (long) (overlapPercent / 100.0 * ready.remainingNanos());
        int best = 0;
        long bestStart = Long.MAX_VALUE;
        long bestIdleWait = Long.MAX_VALUE;
        for (int c = 0; c < m; c++) {
            long free = drainTime(c, view, now);
            long conflictEnd = Math.max(now, (c == top1Pcpu ? top2 : top1) - budget);
            long start = Math.max(free, conflictEnd);
            long idleWait = start - free;
            if (start < bestStart
                    || (start == bestStart && idleWait < bestIdleWait)
                    || (start == bestStart && idleWait == bestIdleWait && view.queueLength(c) < view.queueLength(best))) {
                best = c;
                bestStart = start;
                bestIdleWait = idleWait;
            }
        }
        return best;
    }

    /** Predicted time at which everything queued on {@code pcpu} has run, FIFO order. */
    private static long drainTime(int pcpu, SchedulerView view, long now) {
        long t = now;
        int n = view.queueLength(pcpu);
        for (int i = 0; i < n; i++) {
            t += view.queued(pcpu, i).remainingNanos();
        }
        return t;
    }

    /** Predicted end of the last category-K vCPU queued on {@code pcpu}, or {@code now}. */
    private static long latestEndOf(IoCategory k, int pcpu, SchedulerView view, long now) {
        long t = now;
        long end = now;
        int n = view.queueLength(pcpu);
        int r = view.runningIndex(pcpu);
        if (r >= 0) {
            VcpuView running = view.queued(pcpu, r);
            t += running.remainingNanos();
            if (running.category() == k) {
                end = t;
            }
        }
        for (int i = 0; i < n; i++) {
            if (i == r) {
                continue;
            }
            VcpuView v = view.queued(pcpu, i);
            t += v.remainingNanos();
            if (v.category() == k) {
                end = t;
            }
        }
        return end;
    }
}
