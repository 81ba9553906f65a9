package io.isochron.analysis;

import java.util.List;

/** Demand of sporadic tasks released synchronously at time 0 (the critical instant). */
public final class Demand {
    /** Upper limit on the test points one question may visit, so a pathological set fails fast. */
    public static final long MAX_TEST_POINTS = 20_000_000;

    private Demand() {}

    /** dbf(t): work of all jobs with release and deadline inside [0, t]. */
    public static long dbf(List<Task> tasks, long t) {
        long sum = 0;
        for (Task k : tasks) {
            if (t >= k.deadline()) {
                sum += ((t - k.deadline()) / k.period() + 1) * k.wcet();
            }
        }
        return sum;
    }

    /**
     * rbf(t) of a task under fixed priorities: its own job plus every higher-priority job released in
     * [0, t).
     */
    public static long rbf(Task task, List<Task> higher, long t) {
        long sum = task.wcet();
        for (Task h : higher) {
            sum += ceilDiv(t, h.period()) * h.wcet();
        }
        return sum;
    }

    public static Ratio utilisation(List<Task> tasks) {
        Ratio u = Ratio.ZERO;
        for (Task k : tasks) {
            u = u.plus(Ratio.of(k.wcet(), k.period()));
        }
        return u;
    }

    /**
     * The smallest absolute deadline of a synchronous release that is strictly after {@code after},
     * i.e. the next point where dbf steps up.
     */
    public static long nextDeadline(List<Task> tasks, long after) {
        long next = Long.MAX_VALUE;
        for (Task k : tasks) {
            long d = after < k.deadline() ? k.deadline()
                    : k.deadline() + ((after - k.deadline()) / k.period() + 1) * k.period();
            next = Math.min(next, d);
        }
        return next;
    }

    /**
     * Length of the synchronous busy period: the first instant after 0 at which all work released
     * so far is done on a dedicated processor. A deadline miss under EDF, if any, happens inside it.
     * Needs utilisation at most 1 (then it is at most the hyperperiod).
     */
    public static long busyPeriod(List<Task> tasks) {
        long length = 0;
        for (Task k : tasks) {
            length += k.wcet();
        }
        for (long steps = 0; ; steps++) {
            long next = 0;
            for (Task k : tasks) {
                next += ceilDiv(length, k.period()) * k.wcet();
            }
            if (next == length) {
                return length;
            }
            if (steps > MAX_TEST_POINTS) {
                throw new AnalysisException("the synchronous busy period does not close within "
                        + MAX_TEST_POINTS + " steps (utilisation too close to 1 with periods that share no factor)");
            }
            length = next;
        }
    }

    static long ceilDiv(long a, long b) {
        return -Math.floorDiv(-a, b);
    }
}
