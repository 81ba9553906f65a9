package io.isochron.bridge.kvm.reservation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReservationSpecTest {
    @Test
    void plainReservationDefaultsDeadlineToPeriod() {
        ReservationSpec s = ReservationSpec.parse("plc1/vcpu0=2ms/10ms");
        assertThat(s.label()).isEqualTo("plc1/vcpu0");
        assertThat(s.runtimeNanos()).isEqualTo(2_000_000);
        assertThat(s.deadlineNanos()).isEqualTo(10_000_000).isEqualTo(s.periodNanos());
        assertThat(s.reclaim()).isFalse();
        assertThat(s.cpus().isEmpty()).isTrue();
        assertThat(s.describe()).isEqualTo("2.000/10.000 ms (bandwidth 0.200)");
    }

    @Test
    void optionsAndPartitionCpus() {
        ReservationSpec s = ReservationSpec.parse(" hmi-2/vcpu11=500us/1.5ms,deadline=1ms,reclaim@2-3 ");
        assertThat(s.vm()).isEqualTo("hmi-2");
        assertThat(s.vcpu()).isEqualTo(11);
        assertThat(s.runtimeNanos()).isEqualTo(500_000);
        assertThat(s.deadlineNanos()).isEqualTo(1_000_000);
        assertThat(s.periodNanos()).isEqualTo(1_500_000);
        assertThat(s.reclaim()).isTrue();
        BitSet cpus = new BitSet();
        cpus.set(2, 4);
        assertThat(s.cpus()).isEqualTo(cpus);
        assertThat(s.describe()).isEqualTo(
                "0.500/1.500 ms deadline 1.000 ms (bandwidth 0.333) reclaim in a partition of CPUs 2-3");
    }

    @Test
    void badEntriesAreOneLineNamingWhatIsAllowed() {
        assertThatThrownBy(() -> ReservationSpec.parse("plc1/vcpu0=2/10ms"))
                .hasMessage("reservation 'plc1/vcpu0=2/10ms' has duration '2' without a unit (ns, us, ms, s)");
        assertThatThrownBy(() -> ReservationSpec.parse("plc1:0=2ms/10ms"))
                .hasMessageStartingWith("reservation 'plc1:0=2ms/10ms' is not VM/vcpuN=RUNTIME/PERIOD");
        assertThatThrownBy(() -> ReservationSpec.parse("plc1/vcpu0=20ms/10ms"))
                .hasMessageEndingWith("needs 1.024 us <= runtime <= deadline <= period");
        assertThatThrownBy(() -> ReservationSpec.parse("plc1/vcpu0=2ms/10ms,deadline=1ms"))
                .hasMessageEndingWith("needs 1.024 us <= runtime <= deadline <= period");
        assertThatThrownBy(() -> ReservationSpec.parse("plc1/vcpu0=2ms/10ms,fast"))
                .hasMessageEndingWith("has unknown option 'fast' (allowed: deadline=D, reclaim)");
        assertThatThrownBy(() -> ReservationSpec.parse("plc1/vcpu0=2ms/10ms@3-1"))
                .hasMessageEndingWith("has partition CPUs '3-1' that are not a CPU list such as 1 or 2-3");
        assertThatThrownBy(() -> ReservationSpec.parse("plc1/vcpu0=1.5ns/10ms"))
                .hasMessageEndingWith("is not a whole number of nanoseconds");
        assertThatThrownBy(() -> ReservationSpec.parse("plc1/vcpu0=1us/10ms"))
                .hasMessageEndingWith("needs 1.024 us <= runtime <= deadline <= period");
    }

    @Test
    void runtimeFromAGuestTaskSetIsTheAnalysisMinimumBudget(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("plc1.yaml");
        Files.writeString(file, "tasks:\n  - {name: cycle, wcet: 1, period: 10}\n");
        ReservationSpec s = ReservationSpec.parse("plc1/vcpu0=taskset:" + file + ",period=10ms@1");
        // Shin & Lee: the worst supply of (Q, 10 ms) starts after 2(10 - Q) ms; 1 ms of it by t = 10 ms
        // needs 10 - 2(10 - Q) >= 1, so Q = 5.5 ms
        assertThat(s.runtimeNanos()).isEqualTo(5_500_000);
        assertThat(s.periodNanos()).isEqualTo(10_000_000).isEqualTo(s.deadlineNanos());
        assertThat(s.cpus().get(1)).isTrue();
        assertThat(s.describe()).endsWith("from task set " + file + " (1 tasks, edf, minimum budget 5.500 ms)");
        // a shorter server period needs less bandwidth for the same guarantee
        assertThat(ReservationSpec.parse("plc1/vcpu0=taskset:" + file + ",period=1ms,scheduler=rm").bandwidth())
                .isLessThan(s.bandwidth());

        assertThatThrownBy(() -> ReservationSpec.parse("plc1/vcpu0=taskset:" + file))
                .hasMessageEndingWith("needs period=P for the task set's reservation");
        assertThatThrownBy(() -> ReservationSpec.parse("plc1/vcpu0=taskset:" + file + ",period=1ms,scheduler=fifo"))
                .hasMessageContaining("unknown scheduler 'fifo' (allowed: edf, rm)");
        assertThatThrownBy(() -> ReservationSpec.parse("plc1/vcpu0=taskset:" + dir.resolve("none.yaml") + ",period=1ms"))
                .hasMessageContaining("has a task set that cannot be used: ").hasMessageNotContaining("\n");
        Files.writeString(file, "tasks:\n  - {name: cycle, wcet: 9, period: 10, deadline: 5}\n");
        assertThatThrownBy(() -> ReservationSpec.parse("plc1/vcpu0=taskset:" + file + ",period=1ms"))
                .hasMessageContaining("task set");
    }
}
