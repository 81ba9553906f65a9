package io.isochron.analysis;

/**
 * A sporadic task: every job needs at most {@code wcet} of processor time within {@code deadline} of
 * its release, and releases are at least {@code period} apart. Constrained deadlines only
 * (wcet <= deadline <= period). All times in nanoseconds.
 */
public record Task(String name, long wcet, long period, long deadline) {
    public Task {
        if (wcet <= 0 || wcet > deadline || deadline > period) {
            throw new IllegalArgumentException("task " + name + " needs 0 < wcet <= deadline <= period, got wcet "
                    + wcet + " ns, deadline " + deadline + " ns, period " + period + " ns");
        }
    }

    public double utilisation() {
        return wcet / (double) period;
    }
}
