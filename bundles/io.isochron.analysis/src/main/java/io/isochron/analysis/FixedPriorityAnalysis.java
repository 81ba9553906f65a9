package io.isochron.analysis;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Preemptive fixed priorities, deadline-monotonic order, on a dedicated processor. */
public final class FixedPriorityAnalysis {
    private FixedPriorityAnalysis() {}

    /**
     * Highest priority first: shorter deadline first, then shorter period; equal ones keep the given
     * order, so the order is total and the simulation can reproduce it.
     */
    public static List<Task> priorityOrder(List<Task> tasks) {
        List<Task> order = new ArrayList<>(tasks);
        order.sort(Comparator.comparingLong(Task::deadline).thenComparingLong(Task::period));
        return order;
    }

    /**
     * Worst-case response times in priority order (response-time analysis,
     * R = C + sum over higher-priority tasks of ceil(R / T) * C). A task whose iteration passes its
     * deadline gets the first value beyond the deadline, which marks it unschedulable.
     */
    public static long[] responseTimes(List<Task> tasks) {
        List<Task> order = priorityOrder(tasks);
        long[] r = new long[order.size()];
        for (int i = 0; i < order.size(); i++) {
            Task task = order.get(i);
            List<Task> higher = order.subList(0, i);
            long response = task.wcet();
            while (true) {
                long next = Demand.rbf(task, higher, response);
                if (next == response || next > task.deadline()) {
                    r[i] = next;
                    break;
                }
                response = next;
            }
        }
        return r;
    }

    public static boolean schedulable(List<Task> tasks) {
        List<Task> order = priorityOrder(tasks);
        long[] r = responseTimes(tasks);
        for (int i = 0; i < r.length; i++) {
            if (r[i] > order.get(i).deadline()) {
                return false;
            }
        }
        return true;
    }
}
