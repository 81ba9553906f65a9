package io.isochron.api.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.isochron.api.IoCategory;
import io.isochron.api.runtime.Enforcement;
import io.isochron.api.runtime.Health;
import io.isochron.api.runtime.JitterStats;
import io.isochron.api.runtime.SchedulerState;
import io.isochron.api.runtime.TelemetryBufferStats;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class TelemetryModelTest {
    private static SchedulerState state() {
        return new SchedulerState(1000, "sim", "interference-aware", 25, "interference-aware", 42, 3.5,
                Health.OFF_SPEC, "jitter: x",
                List.of(new SchedulerState.Pcpu(0, "plc/0", IoCategory.BUS, 80), new SchedulerState.Pcpu(1, "", IoCategory.NONE, 0)),
                List.of(new SchedulerState.Vcpu("plc", 0, IoCategory.BUS, SchedulerState.VcpuState.RUNNING, 0, 40),
                        new SchedulerState.Vcpu("hmi", 0, IoCategory.GPU, SchedulerState.VcpuState.IDLE, -1, 0)),
                List.of(new SchedulerState.Component(IoCategory.BUS, 40, 60, 0.5)));
    }

    @Test
    void pathsKindsAndUnitsAreTheContract() {
        Snapshot s = TelemetryModel.of(state(), List.of(new JitterStats("plc", 1000, 1, 2, 3, 2.5, 2.9, 900, 1)),
                new TelemetryBufferStats(5, 1, 2));
        Map<String, Point> byPath = s.points().stream().collect(Collectors.toMap(Point::path, p -> p));
        assertThat(byPath.get("Scheduler/ActivePolicy").value()).isEqualTo("interference-aware");
        assertThat(byPath.get("Scheduler/OverlapPercent")).satisfies(p -> {
            assertThat(p.unit()).isEqualTo(Unit.PERCENT);
            assertThat(p.unit().unece()).isEqualTo("P1");
            assertThat(p.rangeHigh()).isEqualTo(100.0);
        });
        assertThat(byPath.get("Scheduler/DecisionCount").kind()).isEqualTo(Kind.UINT64);
        assertThat(byPath.get("Scheduler/DecisionLatencyP99").unit().unece()).isEqualTo("B98");
        assertThat(byPath.get("Health").value()).isEqualTo(Health.OFF_SPEC);
        assertThat(byPath.get("HealthReason").value()).isEqualTo("jitter: x");
        assertThat(byPath.get("PhysicalCpus/Cpu0/Category").value()).isEqualTo("BUS");
        assertThat(byPath.get("PhysicalCpus/Cpu1/Category").value()).as("idle: no category").isEqualTo("");
        assertThat(byPath.get("IoComponents/BUS/Peak").rangeHigh()).as("100 % per pCPU").isEqualTo(200.0);
        assertThat(byPath.get("IoComponents/BUS/OverloadSeconds").unit()).isEqualTo(Unit.NONE);
        assertThat(byPath.get("VirtualMachines/plc/Vcpu0/PhysicalCpu").value()).isEqualTo(0);
        assertThat(byPath.get("VirtualMachines/plc/Jitter/P99").value()).isEqualTo(2.5);
        assertThat(byPath.get("VirtualMachines/hmi/Jitter/P99").value()).as("no report yet").isNull();
        assertThat(byPath.get("Jitter/Host/Samples").value()).isNull();
        assertThat(byPath.get("Telemetry/Corrupt").value()).isEqualTo(2L);
        assertThat(s.vms()).containsExactly("plc", "hmi");
        assertThat(byPath.get("Scheduler/Enforcement").value()).isEqualTo("none");
        assertThat(byPath.get("Scheduler/SchedExt/Dispatches").value()).as("no kernel scheduler").isNull();
    }

    @Test
    void theKernelSchedulersCountersWhileItEnforces() {
        SchedulerState s = state();
        SchedulerState inKernel = new SchedulerState(s.timestampMillis(), "kvm", s.policy(), s.overlapPercent(),
                s.configuredPolicy(), s.decisionCount(), s.decisionLatencyP99Micros(), s.health(), s.healthReason(),
                s.pcpus(), s.vcpus(), s.components(), new Enforcement(Enforcement.SCHED_EXT, "ops isochron",
                        new Enforcement.SchedExtCounters(1200, 0.0125, 3, 7)));
        Map<String, Point> byPath = TelemetryModel.of(inKernel, List.of(), null).points().stream()
                .collect(Collectors.toMap(Point::path, p -> p));
        assertThat(byPath.get("Scheduler/Enforcement")).satisfies(p -> {
            assertThat(p.value()).isEqualTo("sched_ext");
            assertThat(p.discrete()).as("a change of backend is news").isTrue();
        });
        assertThat(byPath.get("Scheduler/SchedExt/State").value()).isEqualTo("ops isochron");
        assertThat(byPath.get("Scheduler/SchedExt/Dispatches")).satisfies(p -> {
            assertThat(p.kind()).isEqualTo(Kind.UINT64);
            assertThat(p.value()).isEqualTo(1200L);
        });
        assertThat(byPath.get("Scheduler/SchedExt/Violations").value()).isEqualTo(3L);
        assertThat(byPath.get("Scheduler/SchedExt/CoRunningSeconds").value()).isEqualTo(0.0125);
        assertThat(byPath.get("Scheduler/SchedExt/DeadlineMisses").value()).isEqualTo(7L);
    }

    @Test
    void plainValuesLeaveOutWhatIsNotThereYetAndNameTheHealth() {
        Snapshot s = TelemetryModel.of(state(), List.of(), null);
        assertThat(s.nodeValues()).containsEntry("Health", "OFF_SPEC").doesNotContainKey("Telemetry/Buffered")
                .doesNotContainKey("Jitter/Host/P99");
        assertThat(s.vmValues("hmi")).containsOnlyKeys("Vcpu0/Category", "Vcpu0/State", "Vcpu0/PhysicalCpu",
                "Vcpu0/IoUtilization");
    }

    @Test
    void onlyDiscreteChangesMoveTheKey() {
        SchedulerState a = state();
        SchedulerState busier = new SchedulerState(2000, "sim", "interference-aware", 25, "interference-aware", 99, 9,
                Health.OFF_SPEC, "jitter: x", a.pcpus(), a.vcpus(), a.components());
        assertThat(TelemetryModel.of(busier, List.of(), null).discreteKey())
                .isEqualTo(TelemetryModel.of(a, List.of(), null).discreteKey());
        SchedulerState healthy = new SchedulerState(2000, "sim", "interference-aware", 25, "interference-aware", 99, 9,
                Health.NORMAL, "", a.pcpus(), a.vcpus(), a.components());
        assertThat(TelemetryModel.of(healthy, List.of(), null).discreteKey())
                .isNotEqualTo(TelemetryModel.of(a, List.of(), null).discreteKey());
    }
}
