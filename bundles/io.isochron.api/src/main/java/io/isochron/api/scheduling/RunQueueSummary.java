package io.isochron.api.scheduling;

import io.isochron.api.IoCategory;
import java.util.Arrays;

/**
 * The compact summary a guest sends of one vCPU's runnable tasks: for each task its expected CPU
 * time and either its I/O activity per component or an explicit category hint.
 *
 * <p>Instances are mutable and meant to be reused: a decoder fills one per vCPU, the classifier
 * reads it right before the decision. Once the arrays have grown to the largest run queue seen,
 * filling and reading allocate nothing.
 */
public final class RunQueueSummary {
    private int taskCount;
    private long[] cpuNanos = new long[4];
    /** Row-major: task t, component k at {@code t * COMPONENT_COUNT + k}; percent of the component. */
    private double[] ioPercent = new double[4 * IoCategory.COMPONENT_COUNT];

    /** Empties the summary, keeping its capacity. */
    public RunQueueSummary clear() {
        taskCount = 0;
        return this;
    }

    /**
     * Adds a task whose I/O activity is given per component.
     *
     * @param cpuNanos expected CPU time of the task, ≥ 0
     * @param percentPerComponent utilisation of each component in percent, indexed like
     *     {@link IoCategory#component(int)}; shorter arrays mean 0 for the rest
     */
    public RunQueueSummary addTask(long cpuNanos, double... percentPerComponent) {
        int row = appendRow(cpuNanos);
        int n = Math.min(percentPerComponent.length, IoCategory.COMPONENT_COUNT);
        for (int k = 0; k < n; k++) {
            ioPercent[row + k] = checkPercent(percentPerComponent[k]);
        }
        return this;
    }

    /**
     * Adds a task with an explicit category hint from the guest.
     *
     * @param cpuNanos expected CPU time, ≥ 0
     * @param category the task's I/O category; {@link IoCategory#NONE} for CPU-only work
     * @param percent utilisation of that category's component while the task runs, 0–100
     */
    public RunQueueSummary addHintedTask(long cpuNanos, IoCategory category, double percent) {
        int row = appendRow(cpuNanos);
        if (category.isComponent()) {
            ioPercent[row + category.ordinal()] = checkPercent(percent);
        }
        return this;
    }

    public int taskCount() {
        return taskCount;
    }

    public long cpuNanos(int task) {
        checkTask(task);
        return cpuNanos[task];
    }

    /** @return the task's utilisation of component {@code category}, in percent (0 for NONE) */
    public double ioPercent(int task, IoCategory category) {
        checkTask(task);
        return category.isComponent() ? ioPercent[task * IoCategory.COMPONENT_COUNT + category.ordinal()] : 0;
    }

    /** @return the sum of the tasks' expected CPU times */
    public long totalCpuNanos() {
        long sum = 0;
        for (int t = 0; t < taskCount; t++) {
            sum += cpuNanos[t];
        }
        return sum;
    }

    private int appendRow(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("task CPU time must be >= 0 ns, got " + nanos);
        }
        if (taskCount == cpuNanos.length) {
            cpuNanos = Arrays.copyOf(cpuNanos, taskCount * 2);
            ioPercent = Arrays.copyOf(ioPercent, taskCount * 2 * IoCategory.COMPONENT_COUNT);
        }
        int row = taskCount * IoCategory.COMPONENT_COUNT;
        Arrays.fill(ioPercent, row, row + IoCategory.COMPONENT_COUNT, 0.0);
        cpuNanos[taskCount++] = nanos;
        return row;
    }

    private void checkTask(int task) {
        if (task < 0 || task >= taskCount) {
            throw new IndexOutOfBoundsException("task " + task + " of " + taskCount);
        }
    }

    private static double checkPercent(double p) {
        if (!(p >= 0 && p <= 100)) {
            throw new IllegalArgumentException("I/O utilisation must be within 0..100 %, got " + p);
        }
        return p;
    }
}
