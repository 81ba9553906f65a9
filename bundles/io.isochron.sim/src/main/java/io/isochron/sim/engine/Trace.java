package io.isochron.sim.engine;

import io.isochron.api.IoCategory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What ran where and how loaded each component was, over time: the data behind the charts.
 * Recording is optional because a million-job run would keep millions of segments.
 */
public final class Trace {
    /**
     * A vCPU running on a pCPU from {@code startNanos} to {@code endNanos}. {@code stalledNanos} is
     * the part of that time the vCPU waited on an overloaded component instead of progressing.
     */
    public record Segment(int pcpu, long startNanos, long endNanos, String vcpu, IoCategory category,
            long stalledNanos) {}

    /** From {@code timeNanos} on (until the next step), component demands in percent. */
    public record DemandStep(long timeNanos, double[] demandPercent) {}

    private final int pcpus;
    private final List<Segment> segments = new ArrayList<>();
    private final List<DemandStep> demand = new ArrayList<>();

    public Trace(int pcpus) {
        this.pcpus = pcpus;
    }

    public int pcpus() {
        return pcpus;
    }

    void addSegment(Segment s) {
        segments.add(s);
    }

    void addDemand(long time, double[] percent) {
        DemandStep last = demand.isEmpty() ? null : demand.get(demand.size() - 1);
        if (last != null && java.util.Arrays.equals(last.demandPercent(), percent)) {
            return;
        }
        if (last != null && last.timeNanos() == time) {
            demand.set(demand.size() - 1, new DemandStep(time, percent.clone()));
        } else {
            demand.add(new DemandStep(time, percent.clone()));
        }
    }

    /** Segments in the order they ended. */
    public List<Segment> segments() {
        return Collections.unmodifiableList(segments);
    }

    /** Demand steps in time order; each holds until the next one. */
    public List<DemandStep> demand() {
        return Collections.unmodifiableList(demand);
    }
}
