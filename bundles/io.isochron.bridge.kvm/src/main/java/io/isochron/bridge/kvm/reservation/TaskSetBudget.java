package io.isochron.bridge.kvm.reservation;

import io.isochron.analysis.AnalysisException;
import io.isochron.analysis.CompositionalAnalysis;
import io.isochron.analysis.Scheduler;
import io.isochron.analysis.Task;
import io.isochron.analysis.taskset.TaskSetException;
import io.isochron.analysis.taskset.TaskSetLoader;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The least SCHED_DEADLINE runtime per period under which a guest's task set (the YAML of docs/analysis.md
 * format), scheduled by the guest with EDF or fixed priorities on one vCPU, meets every deadline:
 * the periodic resource analysis of io.isochron.analysis (docs/analysis.md), embedded privately.
 */
final class TaskSetBudget {
    private TaskSetBudget() {
    }

    record Budget(long runtimeNanos, String what) {
    }

    /** @throws IllegalArgumentException one line: the file's problem, or why no budget exists */
    static Budget minimum(Path file, String schedulerId, long periodNanos) {
        Scheduler scheduler = Scheduler.parse(schedulerId.strip().toLowerCase(Locale.ROOT));
        List<Task> tasks;
        try {
            tasks = TaskSetLoader.load(file, 1);
        } catch (TaskSetException e) {
            throw new IllegalArgumentException("has a task set that cannot be used: " + e.getMessage());
        }
        try {
            long budget = CompositionalAnalysis.minimumBudget(tasks, scheduler, periodNanos);
            return new Budget(budget, tasks.size() + " tasks, " + scheduler.id() + ", minimum budget "
                    + Bandwidth.millis(budget) + " ms");
        } catch (AnalysisException e) {
            throw new IllegalArgumentException("has a task set with no budget: " + e.getMessage());
        }
    }
}
