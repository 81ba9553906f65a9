package io.isochron.sim.engine;

import io.isochron.api.IoCategory;
import io.isochron.sim.engine.SimulationResult.ComponentMetrics;
import io.isochron.sim.engine.SimulationResult.CoreMetrics;
import io.isochron.sim.engine.SimulationResult.TimeStats;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** Builds traces and results by hand for tests outside the engine package. */
public final class TraceFixtures {

    private TraceFixtures() {}

    /** A trace builder over {@code pcpus} cores. */
    public static Builder trace(int pcpus) {
        return new Builder(pcpus);
    }

    /** Fluent access to the package-private adders of {@link Trace}. */
    public static final class Builder {
        private final Trace trace;

        private Builder(int pcpus) {
            this.trace = new Trace(pcpus);
        }

        public Builder segment(int pcpu, long startNanos, long endNanos, String vcpu, IoCategory category,
                long stalledNanos) {
            trace.addSegment(new Trace.Segment(pcpu, startNanos, endNanos, vcpu, category, stalledNanos));
            return this;
        }

        /** Demands in component order GPU, RAM, CACHE, ETHERNET, BUS, STORAGE. */
        public Builder demand(long timeNanos, double... percent) {
            double[] full = new double[IoCategory.COMPONENT_COUNT];
            System.arraycopy(percent, 0, full, 0, Math.min(percent.length, full.length));
            trace.addDemand(timeNanos, full);
            return this;
        }

        public Trace build() {
            return trace;
        }
    }

    /**
     * A result with distinct, recognisable values: component {@code i} has average
     * {@code 10 + i + 0.25}, peak {@code 50 + i * 10} and overload {@code i * 1.5} ms; core
     * {@code n} is busy {@code 100 + n}, stalled {@code n + 0.5} and idle {@code 20 - n} ms.
     */
    public static SimulationResult result(String scenario, String policy, double overlap, int pcpus,
            double makespanMillis, Trace trace) {
        List<ComponentMetrics> components = new ArrayList<>();
        Map<IoCategory, Double> coRunning = new EnumMap<>(IoCategory.class);
        for (int i = 0; i < IoCategory.COMPONENT_COUNT; i++) {
            IoCategory c = IoCategory.component(i);
            components.add(new ComponentMetrics(c, 10 + i + 0.25, 50 + i * 10, i * 1.5));
            coRunning.put(c, (double) i);
        }
        List<CoreMetrics> cores = new ArrayList<>();
        for (int n = 0; n < pcpus; n++) {
            cores.add(new CoreMetrics(n, 100 + n, n + 0.5, 20 - n));
        }
        return new SimulationResult(scenario, policy, overlap, pcpus, 42, makespanMillis, 3, 15.125, 7.5,
                new TimeStats(1.234, 1.0, 9.876, 12.0), new TimeStats(4.5, 4.0, 19.999, 25.0),
                components, cores, coRunning, 1000, 200, trace);
    }
}
