package io.isochron.shell;

import static org.assertj.core.api.Assertions.assertThat;

import io.isochron.api.IoCategory;
import io.isochron.api.runtime.Enforcement;
import io.isochron.api.runtime.Health;
import io.isochron.api.runtime.JitterStats;
import io.isochron.api.runtime.PolicyControl;
import io.isochron.api.runtime.SchedulerState;
import io.isochron.api.telemetry.TelemetryModel;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusFormatTest {
    private static SchedulerState state(String policy, String configured, Health health, String reason) {
        return new SchedulerState(0, "sim", policy, 25, configured, 1234, 0.42, health, reason,
                List.of(new SchedulerState.Pcpu(0, "plc/0", IoCategory.BUS, 37.5), new SchedulerState.Pcpu(1, "", IoCategory.NONE, 0)),
                List.of(new SchedulerState.Vcpu("plc", 0, IoCategory.BUS, SchedulerState.VcpuState.RUNNING, 0, 30),
                        new SchedulerState.Vcpu("hmi", 0, IoCategory.GPU, SchedulerState.VcpuState.IDLE, -1, 0)),
                List.of(new SchedulerState.Component(IoCategory.GPU, 12.5, 113, 0.004)));
    }

    @Test
    void statusShowsPolicyHealthPlacementAndComponents() {
        String text = StatusFormat.status(state("interference-aware", "interference-aware", Health.NORMAL, ""));
        assertThat(text).contains("policy     interference-aware (overlap 25.0 %)")
                .contains("health     NORMAL\n")
                .contains("decisions  1234 (p99 latency 0.42 µs)")
                .containsPattern("cpu0\\s+plc/0\\s+BUS\\s+37.5")
                .containsPattern("cpu1\\s+-\\s+0.0")
                .containsPattern("GPU\\s+12.5\\s+113.0\\s+0.004");
    }

    @Test
    void statusSaysHowDecisionsAreEnforcedWithTheKernelsCounters() {
        SchedulerState s = state("interference-aware", "interference-aware", Health.NORMAL, "");
        SchedulerState inKernel = new SchedulerState(s.timestampMillis(), "kvm", s.policy(), s.overlapPercent(),
                s.configuredPolicy(), s.decisionCount(), s.decisionLatencyP99Micros(), s.health(), s.healthReason(),
                s.pcpus(), s.vcpus(), s.components(), new Enforcement(Enforcement.SCHED_EXT,
                        "sched_ext ops isochron (attached in 1.21 s), mode interference-aware, overlap 25 %",
                        new Enforcement.SchedExtCounters(1200, 0.0125, 0)));
        assertThat(StatusFormat.status(inKernel))
                .contains("enforced   sched_ext\nsched_ext  sched_ext ops isochron (attached in 1.21 s), mode "
                        + "interference-aware, overlap 25 %\n")
                .contains("           1200 dispatches, co-running 0.013 s, 0 violations\n");
        assertThat(StatusFormat.status(s)).contains("enforced   none\n").doesNotContain("sched_ext");
    }

    @Test
    void telemetryListsTheModelsPathsWithValuesAndUnits() {
        String text = StatusFormat.telemetry(TelemetryModel.of(state("edf", "edf", Health.NORMAL, ""), List.of(), null), "");
        assertThat(text).containsPattern("Scheduler/OverlapPercent\\s+25.000 %")
                .containsPattern("Health\\s+NORMAL")
                .containsPattern("PhysicalCpus/Cpu1/Category\\s+\"\"")
                .containsPattern("VirtualMachines/hmi/Vcpu0/State\\s+IDLE")
                .containsPattern("Jitter/Host/P99\\s+- µs");
        assertThat(StatusFormat.telemetry(TelemetryModel.of(state("edf", "edf", Health.NORMAL, ""), List.of(), null),
                "VirtualMachines/plc/")).doesNotContain("hmi").doesNotContain("Scheduler");
    }

    @Test
    void statusExplainsFallbackAndProblems() {
        String text = StatusFormat.status(state("shortest-queue", "my-policy", Health.OFF_SPEC, "configured policy 'my-policy' is not available"));
        assertThat(text).contains("policy     shortest-queue — fallback, configured: my-policy")
                .contains("health     OFF_SPEC: configured policy 'my-policy' is not available");
    }

    @Test
    void jitterShowsOneLinePerSourceWithPercentOfCycle() {
        String text = StatusFormat.jitter(List.of(new JitterStats("host", 1000, 2, 4.5, 61, 12, 40, 10_000, 1),
                new JitterStats("plc", 2000, 10, 20, 300, 150, 290, 500, 0)));
        assertThat(text.lines()).hasSize(4);
        assertThat(text).containsPattern("host\\s+1000\\s+2.0\\s+4.5\\s+61.0\\s+12.0\\s+40.0\\s+10000\\s+1\\s+1.2\\n")
                .containsPattern("plc\\s+2000\\s+10.0\\s+20.0\\s+300.0\\s+150.0\\s+290.0\\s+500\\s+0\\s+7.5\\n");
        assertThat(StatusFormat.jitter(List.of())).contains("no window completed yet");
        assertThat(StatusFormat.jitter(null)).contains("no jitter monitor");
    }

    @Test
    void vmsListsEveryVcpu() {
        String text = StatusFormat.vms(state("edf", "edf", Health.NORMAL, ""));
        assertThat(text.lines()).hasSize(3);
        assertThat(text).containsPattern("plc\\s+0\\s+BUS\\s+RUNNING\\s+0\\s+30.0")
                .containsPattern("hmi\\s+0\\s+GPU\\s+IDLE\\s+-\\s+0.0");
        SchedulerState none = new SchedulerState(0, "", "edf", 0, "edf", 0, 0, Health.FAILURE, "x", List.of(), List.of(), List.of());
        assertThat(StatusFormat.vms(none)).isEqualTo("no vCPUs registered (no hypervisor bridge attached)\n");
    }

    @Test
    void policyListsActiveAndAvailable() {
        String text = StatusFormat.policy(new PolicyControl.ActivePolicy("edf", 0, "edf"), List.of("edf", "shortest-queue"));
        assertThat(text).isEqualTo("active     edf (overlap 0.0 %)\navailable  edf, shortest-queue\n");
    }
}
