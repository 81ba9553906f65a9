package io.isochron.sim.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.isochron.api.IoCategory;
import io.isochron.scheduler.core.Edf;
import io.isochron.scheduler.core.InterferenceAware;
import io.isochron.sim.generate.TaskSetGenerator;
import io.isochron.sim.scenario.Job;
import io.isochron.sim.scenario.Scenario;
import io.isochron.sim.scenario.VcpuSpec;
import io.isochron.sim.scenario.VmSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.statistics.Statistics;
import org.junit.jupiter.api.Test;

/** The policy guarantees of docs/policies.md, checked on the simulator's traces. */
class SchedulingPropertiesTest {
    private static final long MS = 1_000_000;

    // ---- (1) and (2): interference-aware ----

    @Provide
    Arbitrary<Scenario> bursty() {
        Arbitrary<Job> job = Combinators.combine(
                        Arbitraries.longs().between(0, 50),
                        Arbitraries.longs().between(1, 20),
                        Arbitraries.of(IoCategory.values()),
                        Arbitraries.doubles().between(5, 100).ofScale(1))
                .as((at, cpu, cat, util) -> Job.of(at * MS / 2, cpu * MS / 4, cat, util, 0));
        Arbitrary<VcpuSpec> vcpu = job.list().ofMinSize(1).ofMaxSize(8).map(jobs -> {
            List<Job> sorted = new ArrayList<>(jobs);
            sorted.sort((a, b) -> Long.compare(a.arrivalNanos(), b.arrivalNanos()));
            return new VcpuSpec(0, 0, sorted);
        });
        return Combinators.combine(Arbitraries.integers().between(1, 6), vcpu.list().ofMinSize(1).ofMaxSize(10))
                .as((pcpus, vcpus) -> {
                    List<VmSpec> vms = new ArrayList<>();
                    for (int i = 0; i < vcpus.size(); i++) {
                        VcpuSpec v = vcpus.get(i);
                        vms.add(new VmSpec("vm" + i, List.of(new VcpuSpec(0, 0, v.jobs()))));
                    }
                    return new Scenario("generated", "", pcpus, vms);
                });
    }

    @Property(tries = 1000)
    void strictSeparationNeverCoRunsACategory(@ForAll("bursty") Scenario sc) {
        SimulationResult r = Simulator.run(sc, new InterferenceAware(0), true);
        assertThat(r.jobs()).isEqualTo(sc.jobCount());
        List<Trace.Segment> segs = r.trace().segments();
        for (Trace.Segment a : segs) {
            for (Trace.Segment b : segs) {
                if (a.pcpu() != b.pcpu() && a.category() == b.category() && a.category().isComponent()) {
                    assertThat(Math.min(a.endNanos(), b.endNanos()) <= Math.max(a.startNanos(), b.startNanos()))
                            .as("%s and %s overlap", a, b)
                            .isTrue();
                }
            }
        }
        assertThat(r.totalCoRunningMillis()).isZero();
        assertThat(r.components()).allSatisfy(c -> assertThat(c.overloadMillis()).isZero());
    }

    @Property(tries = 1000)
    void overlapStaysWithinItsDefinition(@ForAll("bursty") Scenario sc,
            @ForAll @DoubleRange(min = 0, max = 100) double overlap) {
        SimulationResult r = Simulator.run(sc, new InterferenceAware(overlap), true);
        assertThat(r.jobs()).isEqualTo(sc.jobCount());
        // (a) a category's summed utilisation never exceeds its component's capacity
        for (Trace.DemandStep step : r.trace().demand()) {
            for (double d : step.demandPercent()) {
                assertThat(d).isLessThanOrEqualTo(100.0 + 1e-9);
            }
        }
        // (b) each start co-runs with the same-category vCPUs already running for at most O % of its run
        List<Trace.Segment> segs = r.trace().segments();
        for (Trace.Segment s : segs) {
            if (!s.category().isComponent()) {
                continue;
            }
            long latestEnd = s.startNanos();
            for (Trace.Segment o : segs) {
                // Already running when s started: earlier, or at the same instant on a pCPU that was
                // dispatched before (one dispatch goes through the pCPUs in ascending order).
                boolean before = o.startNanos() < s.startNanos()
                        || (o.startNanos() == s.startNanos() && o.pcpu() < s.pcpu());
                if (o.pcpu() != s.pcpu() && o.category() == s.category() && before
                        && o.endNanos() > s.startNanos()) {
                    latestEnd = Math.max(latestEnd, o.endNanos());
                }
            }
            long coRunning = Math.min(latestEnd, s.endNanos()) - s.startNanos();
            long run = s.endNanos() - s.startNanos();
            assertThat((double) coRunning).as("co-running of %s", s).isLessThanOrEqualTo(overlap / 100.0 * run + 1);
        }
    }

    // ---- (3): EDF refinement ----

    static Scenario taskSet(Random rnd) {
        return TaskSetGenerator.constrained(rnd);
    }

    @Provide
    Arbitrary<Long> seeds() {
        return Arbitraries.longs();
    }

    @Property(tries = 10_000)
    void refinementMissesNoDeadlineWherePlainEdfMissesNone(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 2) long seed) {
        Scenario sc = taskSet(new Random(seed));
        SimulationResult plain = Simulator.run(sc, new Edf(false), false);
        boolean schedulable = plain.deadlineMisses() == 0;
        Statistics.label("EDF-schedulable").collect(schedulable);
        if (schedulable) {
            SimulationResult refined = Simulator.run(sc, new Edf(true), false);
            assertThat(refined.jobs()).isEqualTo(sc.jobCount());
            assertThat(refined.deadlineMisses()).as("misses of the refinement").isZero();
        }
        Statistics.label("EDF-schedulable").coverage(c -> c.check(true).percentage(p -> p >= 30));
    }

    @Test
    void refinementCoRunsLessThanPlainEdfOnAverage() {
        Random rnd = new Random(42);
        double plainTotal = 0;
        double refinedTotal = 0;
        int compared = 0;
        for (int i = 0; i < 2000; i++) {
            Scenario sc = taskSet(rnd);
            SimulationResult plain = Simulator.run(sc, new Edf(false), false);
            if (plain.deadlineMisses() > 0) {
                continue;
            }
            SimulationResult refined = Simulator.run(sc, new Edf(true), false);
            plainTotal += plain.totalCoRunningMillis();
            refinedTotal += refined.totalCoRunningMillis();
            compared++;
        }
        assertThat(compared).isGreaterThan(500);
        assertThat(refinedTotal / compared).isLessThan(plainTotal / compared);
    }
}
