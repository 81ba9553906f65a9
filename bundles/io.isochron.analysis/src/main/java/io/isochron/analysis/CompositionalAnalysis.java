package io.isochron.analysis;

import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;

/**
 * Schedulability of a task set inside a periodic resource, and the smallest budget that makes it
 * schedulable. Budgets are whole nanoseconds: {@link #minimumBudget} returns the Θ for which the set
 * is schedulable while Θ − 1 ns is not.
 *
 * <p>EDF: schedulable iff dbf(t) <= sbf(t) for every t (Shin and Lee, Theorem 1). With α = Θ/Π and
 * U the utilisation, dbf(t) <= U·t + B where B = Σ (T − D)·C/T, and sbf(t) >= α·(t − 2(Π − Θ)); so
 * once α > U, every t >= (B + α·2(Π − Θ)) / (α − U) is safe and only the deadlines before that bound
 * are test points. If α <= U and Θ < Π, then at t = the hyperperiod dbf(t) = U·t > sbf(t): never
 * schedulable. If Θ = Π and U = 1, the supply is the whole processor and the synchronous busy period
 * bounds the test points.
 *
 * <p>Fixed priorities: task i is schedulable iff some t in (0, D_i] has rbf_i(t) <= sbf(t); rbf_i is
 * constant between releases of higher-priority tasks and sbf does not decrease, so the releases
 * before D_i and D_i itself are the test points.
 *
 * <p>The minimum budget: sbf(t) does not decrease when Θ grows (Π fixed), so each test point t with
 * demand d needs the least Θ with sbf_Θ(t) >= d, found by bisection over whole nanoseconds. For EDF the
 * points are visited in increasing order while the answer so far only grows, which only moves the
 * bound above closer; for fixed priorities each task takes the best of its points and the set the
 * largest over its tasks.
 */
public final class CompositionalAnalysis {
    private CompositionalAnalysis() {}

    public static boolean schedulable(List<Task> tasks, Scheduler scheduler, PeriodicResource r) {
        return switch (scheduler) {
            case EDF -> edfViolation(tasks, r).isEmpty();
            case RM -> fixedPrioritySchedulable(tasks, r);
        };
    }

    /** The first deadline t with dbf(t) > sbf(t) under EDF, or empty if the set is schedulable. */
    public static OptionalLong edfViolation(List<Task> tasks, PeriodicResource r) {
        EdfBound bound = new EdfBound(tasks);
        long limit = bound.testPointsBefore(r);
        long n = 0;
        for (long t = Demand.nextDeadline(tasks, 0); t < limit; t = Demand.nextDeadline(tasks, t)) {
            if (Demand.dbf(tasks, t) > r.supply(t)) {
                return OptionalLong.of(t);
            }
            EdfAnalysis.checkBudget(n++);
        }
        return OptionalLong.empty();
    }

    private static boolean fixedPrioritySchedulable(List<Task> tasks, PeriodicResource r) {
        List<Task> order = FixedPriorityAnalysis.priorityOrder(tasks);
        for (int i = 0; i < order.size(); i++) {
            Task task = order.get(i);
            List<Task> higher = order.subList(0, i);
            boolean saved = false;
            for (long t : fixedPriorityPoints(task, higher)) {
                if (Demand.rbf(task, higher, t) <= r.supply(t)) {
                    saved = true;
                    break;
                }
            }
            if (!saved) {
                return false;
            }
        }
        return true;
    }

    /**
     * The least budget Θ (whole nanoseconds) for which the tasks are schedulable in (Θ, period).
     *
     * @throws AnalysisException if they are not schedulable even with the whole processor (Θ = Π)
     */
    public static long minimumBudget(List<Task> tasks, Scheduler scheduler, long period) {
        requireSchedulableAlone(tasks, scheduler);
        return solve(tasks, scheduler, period);
    }

    /**
     * The reservation with the least bandwidth over the periods {@code from, from + g, ..., <= to}
     * (g the granularity, both ends multiples of it), with the budget rounded up to the granularity.
     * Ties go to the smaller unrounded bandwidth, then to the longer period (fewer server switches).
     */
    public static Reservation bestReservation(List<Task> tasks, Scheduler scheduler, long from, long to,
            long granularity) {
        if (granularity <= 0 || from <= 0 || from > to || from % granularity != 0 || to % granularity != 0) {
            throw new IllegalArgumentException("periods " + from + ".." + to + " ns must be positive multiples of the granularity "
                    + granularity + " ns");
        }
        if (tasks.isEmpty()) {
            return new Reservation(to, 0, 0);
        }
        requireSchedulableAlone(tasks, scheduler);
        Reservation best = null;
        for (long p = from; p <= to; p += granularity) {
            long q = solve(tasks, scheduler, p);
            Reservation r = new Reservation(p, q, Demand.ceilDiv(q, granularity) * granularity);
            if (best == null || r.isBetterThan(best)) {
                best = r;
            }
        }
        return best;
    }

    /** Schedulable on a dedicated processor, the precondition for any budget to exist. */
    public static boolean schedulableAlone(List<Task> tasks, Scheduler scheduler) {
        return switch (scheduler) {
            case EDF -> EdfAnalysis.schedulable(tasks);
            case RM -> FixedPriorityAnalysis.schedulable(tasks);
        };
    }

    private static void requireSchedulableAlone(List<Task> tasks, Scheduler scheduler) {
        if (!schedulableAlone(tasks, scheduler)) {
            throw new AnalysisException("not schedulable under " + scheduler.id()
                    + " even on a whole processor, so no budget is enough");
        }
    }

    private static long solve(List<Task> tasks, Scheduler scheduler, long period) {
        if (tasks.isEmpty()) {
            return 0;
        }
        return switch (scheduler) {
            case EDF -> solveEdf(tasks, period);
            case RM -> solveFixedPriority(tasks, period);
        };
    }

    private static long solveEdf(List<Task> tasks, long period) {
        EdfBound bound = new EdfBound(tasks);
        // Below this, α <= U with Θ < Π, which is never enough (see the class comment).
        long budget = Math.min(period, bound.utilisation.times(Ratio.of(period, 1)).floor() + 1);
        long limit = bound.testPointsBefore(new PeriodicResource(budget, period));
        long n = 0;
        for (long t = Demand.nextDeadline(tasks, 0); t < limit; t = Demand.nextDeadline(tasks, t)) {
            long demand = Demand.dbf(tasks, t);
            if (new PeriodicResource(budget, period).supply(t) < demand) {
                budget = leastBudget(period, t, demand, budget + 1, period);
                limit = bound.testPointsBefore(new PeriodicResource(budget, period));
            }
            EdfAnalysis.checkBudget(n++);
        }
        return budget;
    }

    private static long solveFixedPriority(List<Task> tasks, long period) {
        List<Task> order = FixedPriorityAnalysis.priorityOrder(tasks);
        long budget = 0;
        for (int i = 0; i < order.size(); i++) {
            Task task = order.get(i);
            List<Task> higher = order.subList(0, i);
            // The whole processor is enough (schedulable alone), so the task needs at most Π.
            long need = period;
            for (long t : fixedPriorityPoints(task, higher)) {
                long demand = Demand.rbf(task, higher, t);
                if (need > budget && new PeriodicResource(need - 1, period).supply(t) >= demand) {
                    need = leastBudget(period, t, demand, budget, need - 1);
                }
            }
            budget = Math.max(budget, need);
        }
        return budget;
    }

    /** The least Θ in [lo, hi] with sbf_(Θ, Π)(t) >= demand; the caller knows hi is enough. */
    private static long leastBudget(long period, long t, long demand, long lo, long hi) {
        while (lo < hi) {
            long mid = lo + (hi - lo) / 2;
            if (new PeriodicResource(mid, period).supply(t) >= demand) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    /** Releases of higher-priority tasks before the deadline, then the deadline, ascending. */
    static long[] fixedPriorityPoints(Task task, List<Task> higher) {
        long count = 1;
        for (Task h : higher) {
            count += (task.deadline() - 1) / h.period();
        }
        EdfAnalysis.checkBudget(count);
        long[] points = new long[(int) count];
        int n = 0;
        for (Task h : higher) {
            for (long t = h.period(); t < task.deadline(); t += h.period()) {
                points[n++] = t;
            }
        }
        points[n] = task.deadline();
        Arrays.sort(points);
        return points;
    }

    /** The bound on EDF test points for one task set, for any resource. */
    private static final class EdfBound {
        final List<Task> tasks;
        final Ratio utilisation;
        final Ratio slackTerm;

        EdfBound(List<Task> tasks) {
            this.tasks = tasks;
            this.utilisation = Demand.utilisation(tasks);
            Ratio b = Ratio.ZERO;
            for (Task k : tasks) {
                b = b.plus(Ratio.of((k.period() - k.deadline()) * k.wcet(), k.period()));
            }
            this.slackTerm = b;
        }

        /** Test points at or beyond the returned value cannot fail (see the class comment). */
        long testPointsBefore(PeriodicResource r) {
            Ratio alpha = r.exactBandwidth();
            if (alpha.compareTo(utilisation) > 0) {
                Ratio blackout = Ratio.of(r.blackout(), 1);
                return slackTerm.plus(alpha.times(blackout)).dividedBy(alpha.minus(utilisation)).ceil();
            }
            if (r.budget() == r.period() && utilisation.compareTo(Ratio.of(1, 1)) == 0) {
                return Demand.busyPeriod(tasks) + 1;
            }
            // Unschedulable, and the hyperperiod is a failing point: the scan stops there at the latest.
            return Long.MAX_VALUE;
        }
    }
}
