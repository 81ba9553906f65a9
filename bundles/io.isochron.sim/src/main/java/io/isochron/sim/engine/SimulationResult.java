package io.isochron.sim.engine;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.isochron.api.IoCategory;
import java.util.List;
import java.util.Map;

/**
 * Metrics of one simulation run. Times are milliseconds, utilisations percent of a component.
 *
 * @param coRunningMillis per category, time during which two or more vCPUs classified into it ran
 *     at once on different pCPUs
 * @param stallMillis total time vCPUs spent waiting on overloaded components while holding a pCPU
 */
@JsonPropertyOrder({"scenario", "policy", "overlapPercent", "pcpus", "jobs", "makespanMillis",
    "deadlineMisses", "totalCoRunningMillis", "stallMillis", "waiting", "response", "components",
    "cores", "coRunningMillis", "events", "decisions"})
public record SimulationResult(
        String scenario,
        String policy,
        double overlapPercent,
        int pcpus,
        long jobs,
        double makespanMillis,
        long deadlineMisses,
        double totalCoRunningMillis,
        double stallMillis,
        TimeStats waiting,
        TimeStats response,
        List<ComponentMetrics> components,
        List<CoreMetrics> cores,
        Map<IoCategory, Double> coRunningMillis,
        long events,
        long decisions,
        @JsonIgnore Trace trace) {

    /** Average and peak demand on one component, and how long it was above its capacity. */
    public record ComponentMetrics(IoCategory category, double averagePercent, double peakPercent,
            double overloadMillis) {}

    /** How one pCPU spent the makespan: running, stalled on I/O while holding a vCPU, or idle. */
    public record CoreMetrics(int pcpu, double busyMillis, double stalledMillis, double idleMillis) {}

    /** Distribution of a per-job time (waiting: ready to first start; response: release to end). */
    public record TimeStats(double meanMillis, double p50Millis, double p99Millis, double maxMillis) {}

    /** A label such as {@code interference-aware (O=25%)}. */
    @JsonIgnore
    public String label() {
        return policy.equals("interference-aware") ? policy + " (O=" + fmt(overlapPercent) + "%)" : policy;
    }

    public ComponentMetrics component(IoCategory c) {
        return components.stream().filter(m -> m.category() == c).findFirst().orElseThrow();
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
