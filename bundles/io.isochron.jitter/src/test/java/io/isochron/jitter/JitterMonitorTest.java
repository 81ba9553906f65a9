package io.isochron.jitter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isochron.api.runtime.JitterStats;
import org.junit.jupiter.api.Test;

class JitterMonitorTest {
    /** The real native probe at SCHED_OTHER (no privileges needed), 500 µs cycle. */
    private static NativeHostSource probe() throws ProbeException {
        return NativeHostSource.start(new NativeProbe.Settings(500, NativeProbe.SCHED_OTHER, 0, -1, 5000, false));
    }

    @Test
    void nothingBeforeTheFirstWindowThenHostFirst() throws Exception {
        long started = System.nanoTime();
        JitterMonitor m = new JitterMonitor(probe(), JitterMonitor.Limits.NONE);
        try {
            m.report("plc", 1000, new int[] {3, 4, 5}, 3, 0);
            assertThat(m.jitter()).isEmpty();
            Thread.sleep(100);
            long firstClose = System.nanoTime();
            m.closeWindow();
            long firstWindowCycles = (System.nanoTime() - started) / 500_000;
            assertThat(m.jitter()).extracting(JitterStats::source).containsExactly("host", "plc");
            JitterStats host = m.jitter().get(0);
            assertThat(host.cycleMicros()).isEqualTo(500);
            assertThat(host.samples()).isBetween(20L, firstWindowCycles + 1);
            assertThat(m.offSpec()).isEmpty();

            Thread.sleep(50);
            m.closeWindow();
            // the second window runs from the probe read in the first closeWindow to this one
            long secondWindowCycles = (System.nanoTime() - firstClose) / 500_000;
            assertThat(m.jitter().get(0).samples()).as("a new window, not the total").isBetween(10L, secondWindowCycles + 2);
        } finally {
            m.close();
        }
    }

    @Test
    void guestWindowsKeepTheLastStatsUntilTheVmIsRemoved() {
        JitterMonitor m = new JitterMonitor(null, JitterMonitor.Limits.NONE);
        m.report("plc", 2000, new int[] {10, 20, 30, 999}, 3, 1);
        m.report("plc", 2000, new int[] {-2}, 1, 0);
        m.closeWindow();
        JitterStats plc = m.jitter().get(0);
        assertThat(plc).isEqualTo(new JitterStats("plc", 2000, 0, 15, 30, 30, 30, 4, 1));
        m.closeWindow();
        assertThat(m.jitter()).containsExactly(plc);
        m.remove("plc");
        assertThat(m.jitter()).isEmpty();
        m.closeWindow();
        assertThat(m.jitter()).isEmpty();
    }

    @Test
    void aChangedGuestCycleClosesTheOldCyclesWindow() {
        JitterMonitor m = new JitterMonitor(null, JitterMonitor.Limits.NONE);
        m.report("hmi", 1000, new int[] {5}, 1, 0);
        m.report("hmi", 4000, new int[] {40}, 1, 0);
        m.closeWindow();
        assertThat(m.jitter().get(0).cycleMicros()).isEqualTo(4000);
        assertThat(m.jitter().get(0).maxMicros()).isEqualTo(40);
    }

    @Test
    void badReportsAreRefusedWithTheReason() {
        JitterMonitor m = new JitterMonitor(null, JitterMonitor.Limits.NONE);
        assertThatThrownBy(() -> m.report("plc", 1000, new int[2], 3, 0)).hasMessage("count 3 is outside 0..2 for VM 'plc'");
        assertThatThrownBy(() -> m.report("plc", 0, new int[2], 1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> m.report(" ", 1000, new int[2], 1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> m.report("plc", 1000, new int[2], 1, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void limitsSetOffSpecNamingSourceValueAndLimit() {
        JitterMonitor m = new JitterMonitor(null, new JitterMonitor.Limits(50, 200));
        int[] fine = new int[100];
        java.util.Arrays.fill(fine, 10);
        m.report("plc", 1000, fine, 100, 0);
        m.closeWindow();
        assertThat(m.offSpec()).isEmpty();

        int[] late = new int[100];
        java.util.Arrays.fill(late, 60);
        late[99] = 250;
        m.report("plc", 1000, late, 100, 0);
        m.closeWindow();
        assertThat(m.offSpec()).isEqualTo("plc: p99 60 µs > limit 50 µs; plc: max 250 µs > limit 200 µs");

        m.setProblem("configuration rejected");
        assertThat(m.offSpec()).startsWith("configuration rejected; plc: p99");
    }

    @Test
    void aDegradedHostSourceIsOffSpec() {
        HostSource degraded = new HostSource() {
            @Override
            public String name() {
                return "native";
            }

            @Override
            public long cycleMicros() {
                return 1000;
            }

            @Override
            public void drainInto(LatencyWindow window) {
                window.record(7);
            }

            @Override
            public String problem() {
                return "host probe: SCHED_FIFO priority 80 refused";
            }

            @Override
            public void close() {}
        };
        JitterMonitor m = new JitterMonitor(degraded, JitterMonitor.Limits.NONE);
        m.closeWindow();
        assertThat(m.jitter().get(0).maxMicros()).isEqualTo(7);
        assertThat(m.offSpec()).isEqualTo("host probe: SCHED_FIFO priority 80 refused");
    }
}
