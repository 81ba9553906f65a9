package io.isochron.sim.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.isochron.api.IoCategory;
import io.isochron.sim.generate.ScenarioGenerator.Parameters;
import io.isochron.sim.scenario.Job;
import io.isochron.sim.scenario.Scenario;
import io.isochron.sim.scenario.VcpuSpec;
import io.isochron.sim.scenario.VmSpec;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Scale;
import org.junit.jupiter.api.Test;

class ScenarioGeneratorTest {

    private static List<VcpuSpec> vcpus(Scenario s) {
        return s.vms().stream().flatMap(vm -> vm.vcpus().stream()).toList();
    }

    @Property(tries = 50)
    void sameSeedGivesTheSameScenario(@ForAll long seed, @ForAll boolean periodic) {
        Parameters p = new Parameters(seed, 4, 3, 2, 0.7, 5, periodic);
        assertThat(ScenarioGenerator.generate(p)).isEqualTo(ScenarioGenerator.generate(p));
    }

    @Test
    void differentSeedsGiveDifferentScenarios() {
        for (boolean periodic : new boolean[] {true, false}) {
            Scenario a = ScenarioGenerator.generate(new Parameters(1, 4, 3, 2, 0.7, 5, periodic));
            Scenario b = ScenarioGenerator.generate(new Parameters(2, 4, 3, 2, 0.7, 5, periodic));
            assertThat(a.vms()).isNotEqualTo(b.vms());
            assertThat(a.name()).isNotEqualTo(b.name());
        }
    }

    @Property(tries = 300)
    void periodicSetsDeclareTheRequestedTotalUtilisation(@ForAll long seed, @ForAll @IntRange(min = 1, max = 16) int pcpus,
            @ForAll @IntRange(min = 1, max = 8) int vms, @ForAll @IntRange(min = 1, max = 8) int vcpusPerVm,
            @ForAll @DoubleRange(min = 0.001, max = 1) @Scale(9) double load) {
        Parameters p;
        try {
            p = new Parameters(seed, pcpus, vms, vcpusPerVm, load, 2, true);
        } catch (IllegalArgumentException infeasible) {
            assertThat(load * pcpus).isGreaterThan(vms * vcpusPerVm);
            return;
        }
        Scenario s = ScenarioGenerator.generate(p);
        double declared = 0;
        double floorExcess = 0;
        for (VcpuSpec v : vcpus(s)) {
            Job job = v.jobs().get(0);
            declared += (double) job.cpuNanos() / v.periodNanos();
            if (job.cpuNanos() == ScenarioGenerator.MIN_CPU_NANOS) {
                floorExcess += (double) ScenarioGenerator.MIN_CPU_NANOS / v.periodNanos();
            }
        }
        double target = load * pcpus;
        // rounding to whole nanoseconds: at most half a nanosecond over the longest period (>= 1 ms) in total
        double tolerance = Math.max(1e-6 * target, 5e-7 + 1e-12) + floorExcess;
        assertThat(declared).isCloseTo(target, within(tolerance));
    }

    @Test
    void usualPeriodicSetsMatchTheTotalUtilisationWithinOnePpm() {
        for (long seed = 0; seed < 50; seed++) {
            Scenario s = ScenarioGenerator.generate(new Parameters(seed, 4, 4, 4, 0.85, 3, true));
            double declared = vcpus(s).stream()
                    .mapToDouble(v -> (double) v.jobs().get(0).cpuNanos() / v.periodNanos()).sum();
            assertThat(declared).isCloseTo(3.4, within(1e-6 * 3.4));
        }
    }

    @Test
    void periodicVcpusAreSynchronousWithImplicitDeadlines() {
        Parameters p = new Parameters(42, 4, 5, 3, 0.9, 6, true);
        Scenario s = ScenarioGenerator.generate(p);
        assertThat(s.pcpus()).isEqualTo(4);
        assertThat(s.vms()).extracting(VmSpec::name).containsExactly("vm0", "vm1", "vm2", "vm3", "vm4");
        assertThat(s.vcpuCount()).isEqualTo(15);
        assertThat(s.jobCount()).isEqualTo(15 * 6);
        List<Long> periods = ScenarioGenerator.PERIODS_MS.stream().map(ms -> ms * 1_000_000L).toList();
        for (VmSpec vm : s.vms()) {
            assertThat(vm.vcpus()).extracting(VcpuSpec::index).containsExactly(0, 1, 2);
            for (VcpuSpec v : vm.vcpus()) {
                assertThat(periods).contains(v.periodNanos());
                assertThat(v.jobs()).hasSize(6);
                Job first = v.jobs().get(0);
                assertThat(first.cpuNanos()).isBetween(ScenarioGenerator.MIN_CPU_NANOS, v.periodNanos());
                for (int k = 0; k < v.jobs().size(); k++) {
                    Job j = v.jobs().get(k);
                    assertThat(j.arrivalNanos()).isEqualTo(k * v.periodNanos());
                    assertThat(j.relativeDeadlineNanos()).isEqualTo(v.periodNanos());
                    assertThat(j.cpuNanos()).isEqualTo(first.cpuNanos());
                    assertThat(j.ioPercent()).containsExactly(first.ioPercent());
                }
                double utilisation = (double) first.cpuNanos() / v.periodNanos();
                assertThat(utilisation).isBetween(0.01 - 1e-6, 1.0);
            }
        }
    }

    @Test
    void aperiodicVcpusHaveBurstyJobsWithoutDeadlines() {
        Scenario s = ScenarioGenerator.generate(new Parameters(7, 2, 2, 2, 0.5, 50, false));
        for (VcpuSpec v : vcpus(s)) {
            assertThat(v.periodNanos()).isZero();
            assertThat(v.jobs()).hasSize(50);
            for (Job j : v.jobs()) {
                assertThat(j.relativeDeadlineNanos()).isZero();
                assertThat(j.cpuNanos()).isBetween(ScenarioGenerator.APERIODIC_MIN_CPU_NANOS,
                        ScenarioGenerator.APERIODIC_MAX_CPU_NANOS);
            }
        }
    }

    @Test
    void aperiodicArrivalsMatchTheUtilisationOnAverage() {
        // one vCPU carries the whole load, so its utilisation is exactly 0.5
        Scenario s = ScenarioGenerator.generate(new Parameters(3, 1, 1, 1, 0.5, 40_000, false));
        List<Job> jobs = s.vms().get(0).vcpus().get(0).jobs();
        double cpu = jobs.stream().mapToLong(Job::cpuNanos).sum();
        double span = jobs.get(jobs.size() - 1).arrivalNanos();
        assertThat(cpu / span).isCloseTo(0.5, within(0.02));
        assertThat(cpu / jobs.size()).isCloseTo(2_000_000, within(20_000.0));
    }

    @Test
    void categoriesAndIoPercentagesFollowTheirDistributions() {
        Map<IoCategory, Integer> counts = new EnumMap<>(IoCategory.class);
        int total = 0;
        for (long seed = 0; seed < 100; seed++) {
            Scenario s = ScenarioGenerator.generate(new Parameters(seed, 4, 10, 7, 0.5, 1, true));
            for (VcpuSpec v : vcpus(s)) {
                Job j = v.jobs().get(0);
                IoCategory c = j.mainCategory();
                counts.merge(c, 1, Integer::sum);
                total++;
                if (c.isComponent()) {
                    assertThat(j.ioPercent(c.ordinal())).isBetween(10.0, 60.0);
                }
            }
        }
        assertThat(counts).containsOnlyKeys(IoCategory.values());
        for (IoCategory c : IoCategory.values()) {
            double p = 1.0 / 7;
            double standardError = Math.sqrt(p * (1 - p) / total);
            assertThat((double) counts.get(c) / total).as(c.name()).isCloseTo(p, within(5 * standardError));
        }
    }

    @Test
    void moreJobsExtendTheSameVcpus() {
        for (boolean periodic : new boolean[] {true, false}) {
            Scenario few = ScenarioGenerator.generate(new Parameters(99, 3, 2, 3, 0.6, 4, periodic));
            Scenario many = ScenarioGenerator.generate(new Parameters(99, 3, 2, 3, 0.6, 10, periodic));
            List<VcpuSpec> a = vcpus(few);
            List<VcpuSpec> b = vcpus(many);
            for (int i = 0; i < a.size(); i++) {
                assertThat(b.get(i).periodNanos()).isEqualTo(a.get(i).periodNanos());
                assertThat(b.get(i).jobs().subList(0, 4)).isEqualTo(a.get(i).jobs());
            }
        }
    }

    @Test
    void manyVcpusForASmallLoadStillWork() {
        Scenario s = ScenarioGenerator.generate(new Parameters(5, 1, 50, 8, 0.5, 2, true));
        double declared = vcpus(s).stream()
                .mapToDouble(v -> (double) v.jobs().get(0).cpuNanos() / v.periodNanos()).sum();
        assertThat(s.vcpuCount()).isEqualTo(400);
        assertThat(declared).isCloseTo(0.5, within(1e-6 + 400.0 * ScenarioGenerator.MIN_CPU_NANOS / 1_000_000));
    }

    @Test
    void nameAndDescriptionDescribeTheParameters() {
        Scenario s = ScenarioGenerator.generate(new Parameters(42, 4, 3, 2, 0.75, 10, true));
        assertThat(s.name()).isEqualTo("random-seed42-load0.75");
        assertThat(s.description()).contains("seed=42", "pcpus=4", "vms=3", "vcpusPerVm=2", "load=0.75",
                "jobsPerVcpu=10", "periodic=true", "total utilisation 3");
        assertThat(ScenarioGenerator.generate(new Parameters(-3, 1, 1, 1, 1, 1, false)).name())
                .isEqualTo("random-seed-3-load1");
    }

    @Test
    void invalidParametersAreRejected() {
        assertThatThrownBy(() -> new Parameters(1, 0, 1, 1, 0.5, 1, true)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("pcpus must be >= 1, got 0");
        assertThatThrownBy(() -> new Parameters(1, 1, 0, 1, 0.5, 1, true)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("vms must be >= 1, got 0");
        assertThatThrownBy(() -> new Parameters(1, 1, 1, -2, 0.5, 1, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("vcpusPerVm must be >= 1, got -2");
        assertThatThrownBy(() -> new Parameters(1, 1, 1, 1, 0, 1, true)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("load must be in (0, 1], got 0.0");
        assertThatThrownBy(() -> new Parameters(1, 1, 1, 1, 1.5, 1, true)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("load must be in (0, 1], got 1.5");
        assertThatThrownBy(() -> new Parameters(1, 1, 1, 1, Double.NaN, 1, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("load must be in (0, 1], got NaN");
        assertThatThrownBy(() -> new Parameters(1, 1, 1, 1, 0.5, 0, true)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("jobsPerVcpu must be >= 1, got 0");
        assertThatThrownBy(() -> new Parameters(1, 4, 1, 2, 1, 1, true)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("load * pcpus must be <= the number of vCPUs").hasMessageContaining("got 4.0");
        assertThatThrownBy(() -> ScenarioGenerator.generate(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
