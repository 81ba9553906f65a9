package io.isochron.jitter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The real native probe on this machine (the build machines run as root). */
class NativeProbeTest {
    private static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    @Test
    void shortRunYieldsSamplesInTheHistogram() throws Exception {
        long started = System.nanoTime();
        try (NativeProbe probe = NativeProbe.start(new NativeProbe.Settings(1000, NativeProbe.SCHED_OTHER, 0, -1, 2000, false))) {
            Thread.sleep(300);
            NativeProbe.Snapshot s = probe.read();
            long cycles = (System.nanoTime() - started) / 1_000_000;
            assertThat(s.running()).isTrue();
            // at most one sample per elapsed cycle; at least half of them even on a loaded machine
            assertThat(s.count()).isBetween(150L, cycles);
            assertThat(s.count() + s.overruns()).isLessThanOrEqualTo(cycles);
            assertThat(Arrays.stream(s.histogram()).sum()).as("every sample is in one bucket").isEqualTo(s.count());
            assertThat(s.minNanos()).isLessThanOrEqualTo(s.maxNanos());
            assertThat(s.sumNanos()).isBetween(s.minNanos() * s.count(), s.maxNanos() * s.count());
            assertThat(s.tid()).isPositive();
            assertThat(s.timerSlackErrno()).isZero();
            assertThat(Files.readString(Path.of("/proc/" + s.tid() + "/timerslack_ns")).trim()).isEqualTo("1");
        }
    }

    @Test
    void readingDoesNotStopTheProbeAndCountersOnlyGrow() throws Exception {
        try (NativeProbe probe = NativeProbe.start(new NativeProbe.Settings(200, NativeProbe.SCHED_OTHER, 0, -1, 1000, false))) {
            NativeProbe.Snapshot previous = probe.read();
            for (int i = 0; i < 50; i++) {
                Thread.sleep(2);
                NativeProbe.Snapshot now = probe.read();
                assertThat(now.count()).isGreaterThanOrEqualTo(previous.count());
                assertThat(Arrays.stream(now.histogram()).sum()).isEqualTo(now.count());
                previous = now;
            }
            assertThat(previous.count()).as("5 kHz for ~100 ms").isGreaterThan(100);
        }
    }

    @Test
    void runsSchedFifoAtThePriorityAskedForAndPinned() throws Exception {
        assumeTrue(root(), "SCHED_FIFO needs root or CAP_SYS_NICE");
        try (NativeProbe probe = NativeProbe.start(new NativeProbe.Settings(1000, NativeProbe.SCHED_FIFO, 42, 0, 1000, true))) {
            Thread.sleep(50);
            NativeProbe.Snapshot s = probe.read();
            assertThat(NativeProbe.policyName(s.policy())).isEqualTo("SCHED_FIFO");
            assertThat(s.priority()).isEqualTo(42);
            assertThat(probe.memoryLockErrno()).isZero();
            // The kernel's own view: /proc/<tid>/stat fields 40 (rt_priority) and 41 (policy).
            String stat = Files.readString(Path.of("/proc/self/task/" + s.tid() + "/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            assertThat(fields[40 - 3]).isEqualTo("42");
            assertThat(fields[41 - 3]).isEqualTo("1");
            assertThat(Files.readString(Path.of("/proc/self/task/" + s.tid() + "/status")))
                    .containsPattern("Cpus_allowed_list:\\s+0\\n");
        }
    }

    @Test
    void javaRefusesBadSettingsNamingTheRange() {
        assertThatThrownBy(() -> NativeProbe.Settings.fifo(50, 80)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("interval 50 µs is outside the allowed range 100..10000 µs");
        assertThatThrownBy(() -> NativeProbe.Settings.fifo(1000, 100)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1..99");
        assertThatThrownBy(() -> new NativeProbe.Settings(1000, 7, 0, -1, 100, false))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void nativeSideRefusesBadArgumentsWithErrnoInsteadOfCrashing() {
        int[] status = new int[3];
        assertThat(NativeProbe.start(20_000_000L, NativeProbe.SCHED_FIFO, 80, -1, 100, false, status)).isZero();
        assertThat(status).containsExactly(0, 1, ProbeException.EINVAL);
        ProbeException e = NativeProbe.startFailure(status, "interval=20000000ns");
        assertThat(e).hasMessage("probe_start(interval=20000000ns) failed: EINVAL (Invalid argument)");
        assertThat(e.errno()).isEqualTo(ProbeException.EINVAL);
        assertThat(NativeProbe.start(1_000_000L, NativeProbe.SCHED_OTHER, 0, -1, 0, false, status)).isZero();
        assertThat(status[1]).as("refused by the argument check").isEqualTo(1);
        assertThat(NativeProbe.start(1_000_000L, 5, 0, -1, 100, false, status)).isZero();
        assertThat(status[2]).isEqualTo(ProbeException.EINVAL);
        // A CPU this machine does not have: the kernel refuses the affinity.
        int cpus = Runtime.getRuntime().availableProcessors();
        assertThatThrownBy(() -> NativeProbe.start(new NativeProbe.Settings(1000, NativeProbe.SCHED_OTHER, 0, cpus + 500, 100, false)))
                .isInstanceOf(ProbeException.class)
                .hasMessage("pthread_create(interval=1000000ns, policy=SCHED_OTHER, priority=0, cpu=" + (cpus + 500)
                        + ", buckets=100) failed: EINVAL (Invalid argument)");
    }

    @Test
    void closedProbeCannotBeRead() throws Exception {
        NativeProbe probe = NativeProbe.start(new NativeProbe.Settings(1000, NativeProbe.SCHED_OTHER, 0, -1, 100, false));
        probe.close();
        probe.close();
        assertThatThrownBy(probe::read).isInstanceOf(IllegalStateException.class);
    }
}
