package io.isochron.analysis;

import java.util.ArrayList;
import java.util.List;

/**
 * Discrete-event run of a task set inside a periodic server, in exact nanoseconds, as an independent
 * check of the analysis. The server's supply follows the worst case behind sbf: nothing for the
 * blackout 2(Π − Θ), then Θ at the start of every period (budget given late in the first period,
 * early in all later ones). All tasks release their first job at 0 and then strictly periodically.
 * Jobs are never aborted, so a late job keeps its demand, as the analysis assumes.
 */
final class ServerSimulation {
    record Result(long completedJobs, long misses, String firstMissedTask) {}

    private static final class Job {
        final int task;
        final long deadline;
        long remaining;

        Job(int task, long deadline, long remaining) {
            this.task = task;
            this.deadline = deadline;
            this.remaining = remaining;
        }
    }

    private ServerSimulation() {}

    static Result run(List<Task> tasks, Scheduler scheduler, PeriodicResource server, long horizon) {
        // Fixed priorities use the analysis' order (index = priority); EDF breaks deadline ties the same way.
        List<Task> order = FixedPriorityAnalysis.priorityOrder(tasks);
        long[] nextRelease = new long[order.size()];
        List<Job> ready = new ArrayList<>();
        long completed = 0;
        long misses = 0;
        String firstMiss = null;
        long now = 0;
        while (now < horizon) {
            for (int i = 0; i < order.size(); i++) {
                if (nextRelease[i] == now) {
                    Task k = order.get(i);
                    ready.add(new Job(i, now + k.deadline(), k.wcet()));
                    nextRelease[i] += k.period();
                }
            }
            Job running = supplying(server, now) ? pick(ready, scheduler) : null;
            long next = Math.min(horizon, nextSupplyChange(server, now));
            for (long r : nextRelease) {
                next = Math.min(next, r);
            }
            if (running != null) {
                next = Math.min(next, now + running.remaining);
                running.remaining -= next - now;
                if (running.remaining == 0) {
                    ready.remove(running);
                    completed++;
                    if (next > running.deadline) {
                        misses++;
                        firstMiss = firstMiss == null ? order.get(running.task).name() : firstMiss;
                    }
                }
            }
            now = next;
        }
        for (Job j : ready) {
            if (j.deadline <= horizon) {
                misses++;
                firstMiss = firstMiss == null ? order.get(j.task).name() : firstMiss;
            }
        }
        return new Result(completed, misses, firstMiss);
    }

    private static Job pick(List<Job> ready, Scheduler scheduler) {
        Job best = null;
        for (Job j : ready) {
            if (best == null || before(j, best, scheduler)) {
                best = j;
            }
        }
        return best;
    }

    private static boolean before(Job a, Job b, Scheduler scheduler) {
        if (scheduler == Scheduler.EDF && a.deadline != b.deadline) {
            return a.deadline < b.deadline;
        }
        return a.task < b.task;
    }

    private static boolean supplying(PeriodicResource s, long t) {
        return t >= s.blackout() && (t - s.blackout()) % s.period() < s.budget();
    }

    private static long nextSupplyChange(PeriodicResource s, long t) {
        if (t < s.blackout()) {
            return s.blackout();
        }
        long start = s.blackout() + (t - s.blackout()) / s.period() * s.period();
        return t < start + s.budget() ? start + s.budget() : start + s.period();
    }
}
