package io.isochron.bridge.kvm.internal;

import static io.isochron.api.IoCategory.NONE;
import static io.isochron.api.IoCategory.RAM;
import static io.isochron.api.IoCategory.STORAGE;
import static org.assertj.core.api.Assertions.assertThat;

import io.isochron.api.IoCategory;
import java.util.BitSet;
import org.junit.jupiter.api.Test;

class AffinityPlannerTest {
    /** pCPU 0 and 1 are host CPUs 2 and 3. */
    private final AffinityPlanner planner = new AffinityPlanner(new int[] {2, 3});

    private BitSet[] plan(IoCategory[] category, int[] runningOn, int[] queuedOn) {
        BitSet[] out = new BitSet[category.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = new BitSet();
            out[i].set(7); // stale contents must be replaced
        }
        planner.plan(category.length, category, runningOn, queuedOn, new boolean[category.length], out);
        return out;
    }

    private static BitSet cpus(int... cpus) {
        BitSet b = new BitSet();
        for (int c : cpus) {
            b.set(c);
        }
        return b;
    }

    @Test
    void aHeldBackVcpuSharesTheCoreWhereItsCategoryRuns() {
        // storage-a runs on pCPU 0, ram on pCPU 1, storage-b was queued on pCPU 1 but conflicts
        BitSet[] out = plan(new IoCategory[] {STORAGE, RAM, STORAGE}, new int[] {0, 1, -1}, new int[] {-1, -1, 1});
        assertThat(out[0]).isEqualTo(cpus(2));
        assertThat(out[1]).isEqualTo(cpus(3));
        assertThat(out[2]).as("confined with the running STORAGE vCPU, so they cannot co-run").isEqualTo(cpus(2));
    }

    @Test
    void whenACategorySpillsOntoASecondCoreItsQueuedVcpusMayUseBoth() {
        BitSet[] out = plan(new IoCategory[] {STORAGE, STORAGE, STORAGE}, new int[] {0, 1, -1}, new int[] {-1, -1, 0});
        assertThat(out[2]).isEqualTo(cpus(2, 3));
    }

    @Test
    void withNothingOfItsCategoryRunningAQueuedVcpuFollowsItsQueue() {
        BitSet[] out = plan(new IoCategory[] {RAM, STORAGE}, new int[] {0, -1}, new int[] {-1, 1});
        assertThat(out[1]).isEqualTo(cpus(3));
    }

    @Test
    void withNothingOfItsCategoryRunningItsQueuedVcpusGatherOnTheFirstOnesQueue() {
        // Both held back on different queues: pinned apart, the kernel would run them side by side.
        BitSet[] out = plan(new IoCategory[] {RAM, STORAGE, STORAGE}, new int[] {0, -1, -1}, new int[] {-1, 1, 0});
        assertThat(out[1]).isEqualTo(cpus(3));
        assertThat(out[2]).as("with the first queued STORAGE vCPU").isEqualTo(cpus(3));
    }

    @Test
    void anIdleVcpuWaitsWhereItsCategoryRuns() {
        // A halted guest that wakes up runs before its next summary arrives: not beside its category.
        BitSet[] out = plan(new IoCategory[] {STORAGE, RAM, STORAGE}, new int[] {0, 1, -1}, new int[] {-1, -1, -1});
        assertThat(out[2]).isEqualTo(cpus(2));
    }

    @Test
    void cpuOnlyVcpusNeverConflictAndIdleOnesAreLeftAlone() {
        BitSet[] out = plan(new IoCategory[] {NONE, NONE, STORAGE}, new int[] {0, -1, -1}, new int[] {-1, 0, -1});
        assertThat(out[0]).isEqualTo(cpus(2));
        assertThat(out[1]).as("NONE follows its queue even though NONE runs elsewhere").isEqualTo(cpus(2));
        assertThat(out[2]).as("idle, nothing of STORAGE anywhere: empty means unchanged").isEqualTo(new BitSet());
    }

    @Test
    void reservedVcpusAreNeverPinnedAndDoNotDrawTheirCategory() {
        BitSet[] out = new BitSet[] {new BitSet(), new BitSet()};
        out[0].set(7);
        // reserved STORAGE "runs" on pCPU 0 in the scheduler's view; the queued STORAGE vCPU must not follow it
        planner.plan(2, new IoCategory[] {STORAGE, STORAGE}, new int[] {0, -1}, new int[] {-1, 1},
                new boolean[] {true, false}, out);
        assertThat(out[0]).as("empty: left to the kernel's reservation").isEqualTo(new BitSet());
        assertThat(out[1]).isEqualTo(cpus(3));
    }
}
