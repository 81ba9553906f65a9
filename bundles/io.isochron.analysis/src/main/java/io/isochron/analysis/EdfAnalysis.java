package io.isochron.analysis;

import java.util.List;
import java.util.OptionalLong;

/** EDF on a dedicated processor: the processor-demand criterion dbf(t) <= t. */
public final class EdfAnalysis {
    private EdfAnalysis() {}

    public static boolean schedulable(List<Task> tasks) {
        return firstOverload(tasks).isEmpty();
    }

    /**
     * The first deadline t with dbf(t) > t, or empty if there is none. Test points are the deadlines
     * inside the synchronous busy period (a miss, if any, happens there).
     */
    public static OptionalLong firstOverload(List<Task> tasks) {
        if (Demand.utilisation(tasks).compareTo(Ratio.of(1, 1)) > 0) {
            // Demand outruns the processor by the end of the first hyperperiod at the latest.
            for (long t = Demand.nextDeadline(tasks, 0), n = 0; ; t = Demand.nextDeadline(tasks, t), n++) {
                if (Demand.dbf(tasks, t) > t) {
                    return OptionalLong.of(t);
                }
                checkBudget(n);
            }
        }
        long busy = Demand.busyPeriod(tasks);
        long n = 0;
        for (long t = Demand.nextDeadline(tasks, 0); t <= busy; t = Demand.nextDeadline(tasks, t)) {
            if (Demand.dbf(tasks, t) > t) {
                return OptionalLong.of(t);
            }
            checkBudget(n++);
        }
        return OptionalLong.empty();
    }

    static void checkBudget(long visited) {
        if (visited > Demand.MAX_TEST_POINTS) {
            throw new AnalysisException("the test needs more than " + Demand.MAX_TEST_POINTS
                    + " test points; use periods with common factors");
        }
    }
}
