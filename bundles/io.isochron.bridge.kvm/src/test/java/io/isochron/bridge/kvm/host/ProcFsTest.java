package io.isochron.bridge.kvm.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.BitSet;

import org.junit.jupiter.api.Test;

class ProcFsTest {
    private final ProcFs proc = new ProcFs();
    private final Kernel kernel = Kernel.load();
    private final int pid = (int) ProcessHandle.current().pid();

    @Test
    void aRunningThreadHasSchedulerStatistics() {
        int self = kernel.currentThreadId();
        // This thread has been running the test, so it has used CPU time in at least one slice.
        assertThat(proc.schedStat(pid, self)).hasValueSatisfying(s -> {
            assertThat(s.runNanos()).isPositive();
            assertThat(s.timeslices()).isPositive();
            assertThat(s.waitNanos()).isNotNegative();
        });
        assertThat(proc.processes()).contains(pid, 1);
    }

    @Test
    void cpusAllowedMatchesTheKernelsAffinity() throws Exception {
        int self = kernel.currentThreadId();
        assertThat(proc.cpusAllowed(pid, self)).contains(kernel.affinity(self));
    }

    @Test
    void vanishedThreadsAndProcessesReadAsEmpty() throws Exception {
        int absent = TestHost.absentThreadId();

        assertThat(proc.threads(absent)).isEmpty();
        assertThat(proc.comm(absent, absent)).isEmpty();
        assertThat(proc.comm(pid, absent)).isEmpty();
        assertThat(proc.schedStat(pid, absent)).isEmpty();
        assertThat(proc.cpusAllowed(pid, absent)).isEmpty();
        assertThat(proc.threadGroup(absent)).isEmpty();
    }

    @Test
    void cpuListsParseRangesAndSingles() {
        BitSet expected = new BitSet();
        expected.set(0, 4);
        expected.set(8);
        expected.set(10, 12);
        assertThat(CpuList.parse("0-3,8,10-11\n")).isEqualTo(expected);
        assertThat(CpuList.parse("5")).isEqualTo(BitSet.valueOf(new long[] {1L << 5}));
        assertThat(CpuList.parse("")).isEqualTo(new BitSet());
        assertThatThrownBy(() -> CpuList.parse("3-1")).isInstanceOf(IllegalArgumentException.class);
    }
}
