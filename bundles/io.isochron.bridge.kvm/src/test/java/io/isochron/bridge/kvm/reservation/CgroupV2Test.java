package io.isochron.bridge.kvm.reservation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The v2 file operations against a fake tree (this machine's cpuset is on cgroup v1). */
class CgroupV2Test {
    @TempDir
    Path base;
    private FakeCgroupFs fs;
    private Path root;
    private final BitSet online = cpus(0, 3);

    private static BitSet cpus(int from, int to) {
        BitSet b = new BitSet();
        b.set(from, to + 1);
        return b;
    }

    @BeforeEach
    void tree() throws Exception {
        fs = new FakeCgroupFs(base);
        root = base.resolve("cgroup");
        FakeCgroupFs.put(root.resolve("cgroup.controllers"), "cpuset cpu io memory pids");
        FakeCgroupFs.put(root.resolve("cgroup.subtree_control"), "cpu memory");
        FakeCgroupFs.put(root.resolve("cpuset.cpus.effective"), "0-3");
        FakeCgroupFs.put(root.resolve("cgroup.threads"), "1");
        FakeCgroupFs.put(root.resolve("system.slice/cpuset.cpus.partition"), "member");
        FakeCgroupFs.put(root.resolve("system.slice/cpuset.cpus.effective"), "0-3");
    }

    @Test
    void detectedByTheCpusetController() {
        Cpusets c = Cpusets.detect(fs, base.resolve("cgroup"), online).orElseThrow();
        assertThat(c).isInstanceOf(CgroupV2.class);
        assertThat(c.kind()).isEqualTo("cgroup v2 cpuset at " + root);
    }

    @Test
    void partitionIsMadeMovedIntoAndRemovedWithTheControllerRestored() throws Exception {
        CgroupV2 v2 = new CgroupV2(fs, root, online);
        // the kernel would read the partition state back as written
        Path dir = v2.partition(cpus(2, 3));
        assertThat(dir).isEqualTo(root.resolve("isochron-cpus-2-3"));
        v2.move(dir, 1234);
        assertThat(fs.writes).containsExactly(
                "cgroup/cgroup.subtree_control=+cpuset",
                "cgroup/isochron-cpus-2-3/cpuset.cpus=2-3",
                "cgroup/isochron-cpus-2-3/cpuset.cpus.partition=root",
                "cgroup/isochron-cpus-2-3/cgroup.type=threaded",
                "cgroup/isochron-cpus-2-3/cgroup.threads=1234");
        assertThat(v2.partition(cpus(2, 3))).isEqualTo(dir); // reused

        // what the kernel would show with the partition in force
        Files.writeString(root.resolve("cpuset.cpus.effective"), "0-1");
        Files.writeString(dir.resolve("cpuset.cpus.effective"), "2-3");
        assertThat(v2.rootDomains()).containsExactly(cpus(0, 1), cpus(2, 3));

        fs.writes.clear();
        v2.remove(cpus(2, 3));
        assertThat(fs.writes).containsExactly(
                "cgroup/cgroup.threads=1234",
                "rmdir cgroup/isochron-cpus-2-3",
                "cgroup/cgroup.subtree_control=-cpuset");
        assertThat(dir).doesNotExist();
        assertThat(v2.hasPartitions()).isFalse();
    }

    @Test
    void anEnabledControllerIsLeftAsItWas() throws Exception {
        FakeCgroupFs.put(root.resolve("cgroup.subtree_control"), "cpu cpuset");
        CgroupV2 v2 = new CgroupV2(fs, root, online);
        v2.partition(cpus(3, 3));
        assertThat(fs.writes).doesNotContain("cgroup/cgroup.subtree_control=+cpuset");
        v2.remove(cpus(3, 3));
        assertThat(fs.writes).doesNotContain("cgroup/cgroup.subtree_control=-cpuset");
    }

    @Test
    void anInvalidPartitionIsReportedAndUndone() throws Exception {
        CgroupFs refusing = new FakeCgroupFs(base) {
            @Override
            public String read(Path file) throws CgroupException {
                return file.endsWith("cpuset.cpus.partition") ? "root invalid (Cpu list in cpuset.cpus not exclusive)"
                        : super.read(file);
            }
        };
        CgroupV2 bad = new CgroupV2(refusing, root, online);
        assertThatThrownBy(() -> bad.partition(cpus(1, 1)))
                .isInstanceOf(CgroupException.class)
                .hasMessage("cgroup v2 refused the partition of CPUs 1 at " + root.resolve("isochron-cpus-1")
                        + ": cpuset.cpus.partition reads 'root invalid (Cpu list in cpuset.cpus not exclusive)'");
        assertThat(root.resolve("isochron-cpus-1")).doesNotExist();
        assertThat(((FakeCgroupFs) refusing).writes).endsWith("cgroup/cgroup.subtree_control=-cpuset");
        assertThat(bad.hasPartitions()).isFalse();
    }

    @Test
    void isolatedPartitionsAndNestedRootsMakeTheirOwnDomains() throws Exception {
        FakeCgroupFs.put(root.resolve("cpuset.cpus.effective"), "0-3");
        FakeCgroupFs.put(root.resolve("rt/cpuset.cpus.partition"), "root");
        FakeCgroupFs.put(root.resolve("rt/cpuset.cpus.effective"), "2");
        FakeCgroupFs.put(root.resolve("rt/inner/cpuset.cpus.partition"), "root");
        FakeCgroupFs.put(root.resolve("rt/inner/cpuset.cpus.effective"), "3");
        FakeCgroupFs.put(root.resolve("iso/cpuset.cpus.partition"), "isolated");
        FakeCgroupFs.put(root.resolve("iso/cpuset.cpus.effective"), "1");
        // the root's effective CPUs would exclude 1-3; the domain list must not depend on that
        assertThat(new CgroupV2(fs, root, online).rootDomains())
                .containsExactly(cpus(0, 0), cpus(2, 2), cpus(3, 3), cpus(1, 1));
    }

    @Test
    void partitionsMustNotTakeEveryCpuOrOverlap() throws Exception {
        CgroupV2 v2 = new CgroupV2(fs, root, online);
        assertThatThrownBy(() -> v2.partition(cpus(0, 3)))
                .hasMessage("a partition of CPUs 0-3 would leave no CPU for the rest of the host");
        assertThatThrownBy(() -> v2.partition(cpus(4, 4)))
                .hasMessage("partition CPUs 4 must be online CPUs (online: 0-3)");
        v2.partition(cpus(2, 3));
        assertThatThrownBy(() -> v2.partition(cpus(1, 2)))
                .hasMessage("partition CPUs 1-2 overlap the partition of CPUs 2-3");
        v2.removeAll();
        assertThat(List.of(root.toFile().list())).doesNotContain("isochron-cpus-2-3");
    }
}
