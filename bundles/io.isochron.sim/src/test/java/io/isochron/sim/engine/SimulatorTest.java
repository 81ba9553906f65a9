package io.isochron.sim.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.isochron.api.IoCategory;
import io.isochron.scheduler.core.InterferenceAware;
import io.isochron.scheduler.core.ShortestQueue;
import io.isochron.sim.scenario.Job;
import io.isochron.sim.scenario.Scenario;
import io.isochron.sim.scenario.VcpuSpec;
import io.isochron.sim.scenario.VmSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class SimulatorTest {
    private static final long MS = 1_000_000;

    private static VmSpec vm(String name, Job... jobs) {
        return new VmSpec(name, List.of(new VcpuSpec(0, 0, List.of(jobs))));
    }

    @Test
    void overCapacityStretchesTheJobsOfThatComponent() {
        // Two GPU jobs of 60 % each on two pCPUs: demand 120 %, both run at 100/120 speed.
        Scenario sc = new Scenario("stretch", "", 2, List.of(
                vm("a", Job.of(0, 10 * MS, IoCategory.GPU, 60, 0)),
                vm("b", Job.of(0, 10 * MS, IoCategory.GPU, 60, 0))));
        SimulationResult r = Simulator.run(sc, new ShortestQueue(), true);
        assertThat(r.makespanMillis()).isCloseTo(12.0, within(1e-6));
        assertThat(r.component(IoCategory.GPU).peakPercent()).isEqualTo(120.0);
        assertThat(r.component(IoCategory.GPU).overloadMillis()).isCloseTo(12.0, within(1e-6));
        assertThat(r.stallMillis()).isCloseTo(4.0, within(1e-3));
        assertThat(r.totalCoRunningMillis()).isCloseTo(12.0, within(1e-6));
        assertThat(r.cores()).allSatisfy(c -> assertThat(c.busyMillis()).isCloseTo(10.0, within(1e-3)));
    }

    @Test
    void strictSeparationSerialisesTheCategoryWithoutOverload() {
        Scenario sc = new Scenario("separate", "", 2, List.of(
                vm("a", Job.of(0, 10 * MS, IoCategory.GPU, 60, 0)),
                vm("b", Job.of(0, 10 * MS, IoCategory.GPU, 60, 0)),
                vm("c", Job.of(0, 10 * MS, IoCategory.RAM, 30, 0))));
        SimulationResult r = Simulator.run(sc, new InterferenceAware(0), true);
        assertThat(r.component(IoCategory.GPU).peakPercent()).isEqualTo(60.0);
        assertThat(r.component(IoCategory.GPU).overloadMillis()).isZero();
        assertThat(r.makespanMillis()).isCloseTo(20.0, within(1e-6));
        assertThat(r.totalCoRunningMillis()).isZero();
        assertThat(r.jobs()).isEqualTo(3);
        // Averages are over the makespan: 2 x 10 ms at 60 % in 20 ms.
        assertThat(r.component(IoCategory.GPU).averagePercent()).isCloseTo(60.0, within(1e-9));
    }

    @Test
    void aBlockedVcpuLeavesItsNextJobWaitingSoAnotherCoreIdles() {
        // vm "a" runs two jobs back to back; its first is stretched by GPU overload, so its second
        // starts late and pCPU 1, free after b's short job, idles waiting for it.
        Scenario sc = new Scenario("blocking", "", 2, List.of(
                new VmSpec("a", List.of(new VcpuSpec(0, 0, List.of(
                        Job.of(0, 10 * MS, IoCategory.GPU, 70, 0), Job.of(1 * MS, 5 * MS, IoCategory.NONE, 0, 0))))),
                vm("b", Job.of(0, 10 * MS, IoCategory.GPU, 70, 0))));
        SimulationResult r = Simulator.run(sc, new ShortestQueue(), true);
        assertThat(r.component(IoCategory.GPU).peakPercent()).isEqualTo(140.0);
        assertThat(r.makespanMillis()).isCloseTo(19.0, within(1e-3));
        assertThat(r.cores().get(1).idleMillis()).isGreaterThan(4.0);
    }

    @Test
    void deadlinesAndResponseTimesAreMeasuredFromRelease() {
        Scenario sc = new Scenario("deadline", "", 1, List.of(
                vm("a", Job.of(0, 4 * MS, IoCategory.NONE, 0, 5 * MS)),
                vm("b", Job.of(0, 4 * MS, IoCategory.NONE, 0, 5 * MS))));
        SimulationResult r = Simulator.run(sc, new ShortestQueue(), false);
        assertThat(r.deadlineMisses()).isEqualTo(1);
        assertThat(r.response().maxMillis()).isCloseTo(8.0, within(0.01));
        assertThat(r.waiting().maxMillis()).isCloseTo(4.0, within(0.01));
        assertThat(r.trace()).isNull();
    }

    @Test
    void runsAreDeterministic() {
        Scenario sc = SchedulingPropertiesTest.taskSet(new java.util.Random(7));
        SimulationResult a = Simulator.run(sc, new InterferenceAware(30), false);
        SimulationResult b = Simulator.run(sc, new InterferenceAware(30), false);
        assertThat(a).usingRecursiveComparison().isEqualTo(b);
    }
}
