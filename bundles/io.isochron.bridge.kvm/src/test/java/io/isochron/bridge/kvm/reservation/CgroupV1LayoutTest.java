package io.isochron.bridge.kvm.reservation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.BitSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Root domains from a v1 cpuset layout, on a fake tree (the real one is exercised by ReserverTest). */
class CgroupV1LayoutTest {
    @TempDir
    Path base;

    private static BitSet cpus(int from, int to) {
        BitSet b = new BitSet();
        b.set(from, to + 1);
        return b;
    }

    private void cpuset(String dir, String cpus, boolean balanced) throws Exception {
        Path d = base.resolve("cpuset").resolve(dir);
        FakeCgroupFs.put(d.resolve("cpuset.cpus"), cpus);
        FakeCgroupFs.put(d.resolve("cpuset.effective_cpus"), cpus);
        FakeCgroupFs.put(d.resolve("cpuset.sched_load_balance"), balanced ? "1" : "0");
    }

    @Test
    void aBalancedRootIsOneDomain() throws Exception {
        cpuset("", "0-7", true);
        cpuset("a", "0-1", true);
        Cpusets c = Cpusets.detect(new CgroupFs(), base, cpus(0, 7)).orElseThrow();
        assertThat(c).isInstanceOf(CgroupV1.class);
        assertThat(c.rootDomains()).containsExactly(cpus(0, 7));
    }

    @Test
    void balancedChildrenOfAnUnbalancedRootMergeWhenTheyOverlapAndTheRestIsTheDefaultDomain() throws Exception {
        cpuset("", "0-7", false);
        cpuset("a", "0-1", true);
        cpuset("b", "1-2", true);
        cpuset("c", "4", true);
        cpuset("c/inner", "4", false); // inside a balanced cpuset: no say
        cpuset("d", "5-6", false);
        cpuset("d/e", "6", true);
        cpuset("empty", "", true);
        assertThat(new CgroupV1(new CgroupFs(), base.resolve("cpuset"), cpus(0, 7)).rootDomains())
                .containsExactlyInAnyOrder(cpus(0, 2), cpus(4, 4), cpus(6, 6), bits(3, 5, 7));
    }

    private static BitSet bits(int... cpus) {
        BitSet b = new BitSet();
        for (int c : cpus) {
            b.set(c);
        }
        return b;
    }
}
