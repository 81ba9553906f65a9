package io.isochron.sim.evaluate;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.isochron.api.IoCategory;
import io.isochron.api.scheduling.Placement;
import io.isochron.sim.engine.SimulationResult;
import io.isochron.sim.engine.Simulator;
import io.isochron.sim.generate.ScenarioGenerator;
import io.isochron.sim.scenario.Scenario;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Compares a candidate policy with a baseline over many generated scenarios per load level: how
 * much the candidate lowers each component's peak demand, how often it removes overload, and what
 * it costs in makespan.
 */
public final class Evaluation {

    /** Distribution summary of one quantity over the scenarios of a load level. */
    public record Spread(double p10, double p50, double p90, double mean, double min, double max) {
        static Spread of(double[] values) {
            if (values.length == 0) {
                return new Spread(Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
            }
            double[] v = values.clone();
            Arrays.sort(v);
            return new Spread(at(v, 0.10), at(v, 0.50), at(v, 0.90), Arrays.stream(v).average().orElse(Double.NaN),
                    v[0], v[v.length - 1]);
        }

        /** Nearest-rank percentile. */
        private static double at(double[] sorted, double q) {
            int rank = (int) Math.ceil(q * sorted.length);
            return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
        }
    }

    /**
     * Results at one load level.
     *
     * @param peakReductionPercent per component, (baseline peak - candidate peak) / baseline peak,
     *     over scenarios where the component was used
     * @param overloadedScenarios scenarios where some component exceeded 100 % under the baseline
     * @param overloadEliminated of those, how many had no overload at all under the candidate
     * @param candidateOverloaded scenarios where the candidate exceeded 100 % somewhere
     * @param makespanRatio candidate makespan / baseline makespan
     * @param responseRatio candidate mean response time / baseline mean response time
     * @param worseMakespan scenarios where the candidate's makespan is more than 5 % longer
     * @param higherPeak scenarios where some component's peak is higher under the candidate
     */
    @JsonPropertyOrder({"load", "scenarios", "overloadedScenarios", "overloadEliminated", "candidateOverloaded",
        "makespanRatio", "responseRatio", "worseMakespan", "higherPeak", "peakReductionPercent", "stallReductionPercent"})
    public record LoadResult(double load, int scenarios, int overloadedScenarios, int overloadEliminated,
            int candidateOverloaded, Spread makespanRatio, Spread responseRatio, int worseMakespan, int higherPeak,
            Map<IoCategory, Spread> peakReductionPercent, Spread stallReductionPercent) {}

    @JsonPropertyOrder({"baseline", "candidate", "scenariosPerLoad", "generator", "loads"})
    public record Report(String baseline, String candidate, int scenariosPerLoad, String generator,
            List<LoadResult> loads) {}

    private Evaluation() {}

    /**
     * @param template generator parameters; its seed and load are replaced per scenario
     * @param firstSeed seeds firstSeed .. firstSeed + scenarios - 1 are used at every load
     */
    public static Report run(ScenarioGenerator.Parameters template, double[] loads, int scenarios, long firstSeed,
            Supplier<Placement> baseline, Supplier<Placement> candidate) {
        if (scenarios < 1) {
            throw new IllegalArgumentException("scenarios must be >= 1, got " + scenarios);
        }
        List<LoadResult> results = new ArrayList<>();
        String baselineName = baseline.get().policyName();
        Placement c = candidate.get();
        String candidateName = c.policyName() + (c.overlapPercent() > 0 || c.policyName().equals("interference-aware")
                ? " (O=" + c.overlapPercent() + "%)" : "");
        for (double load : loads) {
            results.add(atLoad(template, load, scenarios, firstSeed, baseline, candidate));
        }
        String generator = "pcpus=" + template.pcpus() + ", vms=" + template.vms() + ", vcpusPerVm="
                + template.vcpusPerVm() + ", jobsPerVcpu=" + template.jobsPerVcpu() + ", periodic=" + template.periodic();
        return new Report(baselineName, candidateName, scenarios, generator, results);
    }

    private static LoadResult atLoad(ScenarioGenerator.Parameters t, double load, int scenarios, long firstSeed,
            Supplier<Placement> baseline, Supplier<Placement> candidate) {
        Map<IoCategory, List<Double>> reductions = new EnumMap<>(IoCategory.class);
        double[] makespan = new double[scenarios];
        double[] response = new double[scenarios];
        List<Double> stall = new ArrayList<>();
        int overloaded = 0;
        int eliminated = 0;
        int candidateOverloaded = 0;
        int worse = 0;
        int higherPeak = 0;
        for (int i = 0; i < scenarios; i++) {
            Scenario sc = ScenarioGenerator.generate(new ScenarioGenerator.Parameters(firstSeed + i, t.pcpus(), t.vms(),
                    t.vcpusPerVm(), load, t.jobsPerVcpu(), t.periodic()));
            SimulationResult b = Simulator.run(sc, baseline.get(), false);
            SimulationResult c = Simulator.run(sc, candidate.get(), false);
            boolean baseOver = overloaded(b);
            boolean candOver = overloaded(c);
            if (baseOver) {
                overloaded++;
                if (!candOver) {
                    eliminated++;
                }
            }
            if (candOver) {
                candidateOverloaded++;
            }
            boolean anyHigher = false;
            for (SimulationResult.ComponentMetrics bm : b.components()) {
                double cp = c.component(bm.category()).peakPercent();
                if (bm.peakPercent() > 0) {
                    reductions.computeIfAbsent(bm.category(), k -> new ArrayList<>())
                            .add(100.0 * (bm.peakPercent() - cp) / bm.peakPercent());
                }
                anyHigher |= cp > bm.peakPercent() + 1e-9;
            }
            if (anyHigher) {
                higherPeak++;
            }
            makespan[i] = c.makespanMillis() / b.makespanMillis();
            response[i] = c.response().meanMillis() / b.response().meanMillis();
            if (makespan[i] > 1.05) {
                worse++;
            }
            if (b.stallMillis() > 0) {
                stall.add(100.0 * (b.stallMillis() - c.stallMillis()) / b.stallMillis());
            }
        }
        Map<IoCategory, Spread> peak = new EnumMap<>(IoCategory.class);
        reductions.forEach((k, v) -> peak.put(k, Spread.of(v.stream().mapToDouble(Double::doubleValue).toArray())));
        return new LoadResult(load, scenarios, overloaded, eliminated, candidateOverloaded, Spread.of(makespan), Spread.of(response), worse,
                higherPeak, peak, Spread.of(stall.stream().mapToDouble(Double::doubleValue).toArray()));
    }

    private static boolean overloaded(SimulationResult r) {
        return r.components().stream().anyMatch(m -> m.overloadMillis() > 0);
    }
}
