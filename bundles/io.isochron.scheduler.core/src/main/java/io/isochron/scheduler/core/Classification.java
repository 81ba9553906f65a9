package io.isochron.scheduler.core;

import io.isochron.api.IoCategory;

/** Mutable result of one classification, reused so that the decision path allocates nothing. */
public final class Classification {
    IoCategory category = IoCategory.NONE;
    double ioPercent;
    long expectedRunNanos;

    public IoCategory category() {
        return category;
    }

    /** Time-weighted mean utilisation of the dominant component over the expected run, percent. */
    public double ioPercent() {
        return ioPercent;
    }

    public long expectedRunNanos() {
        return expectedRunNanos;
    }

    @Override
    public String toString() {
        return category + " " + ioPercent + "% for " + expectedRunNanos + " ns";
    }
}
