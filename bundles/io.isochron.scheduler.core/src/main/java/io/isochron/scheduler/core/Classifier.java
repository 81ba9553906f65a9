package io.isochron.scheduler.core;

import io.isochron.api.IoCategory;
import io.isochron.api.scheduling.RunQueueSummary;

/**
 * The classification unit: finds the I/O component a vCPU will mostly use during its next run,
 * from the run-queue summary its guest sent, right before the decision.
 *
 * <p>Rules (docs/classification.md):
 * <ol>
 *   <li>Each component's score is the mean of the tasks' utilisation of it, weighted by the tasks'
 *       expected CPU time (unweighted if every task announces 0 ns) — the utilisation the vCPU
 *       is expected to put on that component over its whole run.
 *   <li>The dominant category is the component with the highest score. Scores within
 *       {@value #TIE_EPSILON} percentage points tie; ties go to the component closest to the control
 *       loop: BUS, ETHERNET, STORAGE, GPU, RAM, CACHE.
 *   <li>If the highest score is below the CPU-only threshold (default 1 %), or the summary is empty,
 *       the category is NONE with 0 % utilisation.
 *   <li>The expected run time is the sum of the tasks' expected CPU times.
 * </ol>
 */
public final class Classifier {
    public static final double DEFAULT_CPU_ONLY_THRESHOLD = 1.0;
    static final double TIE_EPSILON = 1e-9;

    /** Tie-break precedence, most protected first. */
    private static final IoCategory[] PRECEDENCE = {
        IoCategory.BUS, IoCategory.ETHERNET, IoCategory.STORAGE, IoCategory.GPU, IoCategory.RAM, IoCategory.CACHE
    };

    private final double cpuOnlyThreshold;

    public Classifier() {
        this(DEFAULT_CPU_ONLY_THRESHOLD);
    }

    /** @param cpuOnlyThreshold percent below which a vCPU counts as CPU-only, in [0, 100] */
    public Classifier(double cpuOnlyThreshold) {
        if (!(cpuOnlyThreshold >= 0 && cpuOnlyThreshold <= 100)) {
            throw new IllegalArgumentException(
                    "CPU-only threshold must be within 0..100 %, got " + cpuOnlyThreshold);
        }
        this.cpuOnlyThreshold = cpuOnlyThreshold;
    }

    /** Classifies {@code summary} into {@code out} and returns {@code out}. Allocates nothing. */
    public Classification classify(RunQueueSummary summary, Classification out) {
        int tasks = summary.taskCount();
        long total = summary.totalCpuNanos();
        out.expectedRunNanos = total;
        IoCategory best = IoCategory.NONE;
        double bestScore = 0;
        if (tasks > 0) {
            for (IoCategory k : PRECEDENCE) {
                double score = score(summary, k, tasks, total);
                if (score > bestScore + TIE_EPSILON) {
                    best = k;
                    bestScore = score;
                }
            }
        }
        if (best == IoCategory.NONE || bestScore < cpuOnlyThreshold) {
            out.category = IoCategory.NONE;
            out.ioPercent = 0;
        } else {
            out.category = best;
            out.ioPercent = Math.min(100.0, bestScore);
        }
        return out;
    }

    private static double score(RunQueueSummary s, IoCategory k, int tasks, long total) {
        double sum = 0;
        if (total > 0) {
            for (int t = 0; t < tasks; t++) {
                sum += s.ioPercent(t, k) * s.cpuNanos(t);
            }
            return sum / total;
        }
        for (int t = 0; t < tasks; t++) {
            sum += s.ioPercent(t, k);
        }
        return sum / tasks;
    }
}
