package io.isochron.sim.scenario;

import io.isochron.api.IoCategory;
import java.util.Arrays;

/**
 * One job of a vCPU: released at {@code arrivalNanos}, needing {@code cpuNanos} of CPU time, and
 * loading each shared component by {@code ioPercent[k]} percent while it runs (indexed like
 * {@link IoCategory#component(int)}). {@code relativeDeadlineNanos} is 0 for no deadline.
 */
public record Job(long arrivalNanos, long cpuNanos, double[] ioPercent, long relativeDeadlineNanos) {
    public Job {
        if (arrivalNanos < 0 || cpuNanos < 0 || relativeDeadlineNanos < 0) {
            throw new IllegalArgumentException("job times must be >= 0");
        }
        if (ioPercent.length != IoCategory.COMPONENT_COUNT) {
            throw new IllegalArgumentException("ioPercent needs " + IoCategory.COMPONENT_COUNT + " entries");
        }
        ioPercent = ioPercent.clone();
    }

    /** A job that uses one component only. */
    public static Job of(long arrivalNanos, long cpuNanos, IoCategory category, double percent,
            long relativeDeadlineNanos) {
        double[] io = new double[IoCategory.COMPONENT_COUNT];
        if (category.isComponent()) {
            io[category.ordinal()] = percent;
        }
        return new Job(arrivalNanos, cpuNanos, io, relativeDeadlineNanos);
    }

    @Override
    public double[] ioPercent() {
        return ioPercent.clone();
    }

    /** Utilisation of one component, without copying. */
    public double ioPercent(int component) {
        return ioPercent[component];
    }

    /** The component with the largest utilisation, or NONE (the scenario's own label). */
    public IoCategory mainCategory() {
        IoCategory best = IoCategory.NONE;
        double max = 0;
        for (int k = 0; k < ioPercent.length; k++) {
            if (ioPercent[k] > max) {
                max = ioPercent[k];
                best = IoCategory.component(k);
            }
        }
        return best;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Job j && j.arrivalNanos == arrivalNanos && j.cpuNanos == cpuNanos
                && j.relativeDeadlineNanos == relativeDeadlineNanos && Arrays.equals(j.ioPercent, ioPercent);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(arrivalNanos) * 31 + Arrays.hashCode(ioPercent);
    }

    @Override
    public String toString() {
        return "Job[at=" + arrivalNanos + " cpu=" + cpuNanos + " io=" + Arrays.toString(ioPercent)
                + " deadline=" + relativeDeadlineNanos + "]";
    }
}
