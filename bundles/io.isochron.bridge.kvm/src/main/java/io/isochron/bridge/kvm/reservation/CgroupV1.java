package io.isochron.bridge.kvm.reservation;

import io.isochron.bridge.kvm.host.CpuList;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Partitions on the cgroup v1 cpuset hierarchy. A cpuset becomes a root domain of its own only when
 * it is load-balanced and its parent is not: so the partition gets {@code cpu_exclusive}, the root
 * cpuset gets {@code sched_load_balance = 0}, and a sibling {@code isochron-rest} (load-balanced,
 * holding the remaining CPUs, no tasks) keeps the kernel balancing the tasks that stay in the root
 * cpuset across the remaining CPUs — without it those CPUs would not be balanced at all. Tasks of the
 * root cpuset keep their affinity and may still be woken on a partition CPU; the deadline thread
 * preempts them there. Restored on the last removal: the root's original sched_load_balance, and the
 * rest cpuset removed.
 */
public final class CgroupV1 extends Cpusets {
    static final String REST = "isochron-rest";
    private String originalLoadBalance;

    CgroupV1(CgroupFs fs, Path root, BitSet online) {
        super(fs, root, online);
    }

    @Override
    public String kind() {
        return "cgroup v1 cpuset at " + root;
    }

    @Override
    public List<BitSet> rootDomains() throws CgroupException {
        if (balanced(root)) {
            return List.of(onlineOf(fs.read(root.resolve("cpuset.effective_cpus"))));
        }
        List<BitSet> balanced = new ArrayList<>();
        collectBalanced(root, balanced);
        List<BitSet> domains = merge(balanced);
        // CPUs that no balanced cpuset covers share the kernel's default root domain.
        BitSet left = (BitSet) online.clone();
        domains.forEach(left::andNot);
        if (!left.isEmpty()) {
            domains.add(left);
        }
        return domains;
    }

    private void collectBalanced(Path dir, List<BitSet> out) throws CgroupException {
        for (Path child : children(dir)) {
            BitSet cpus = onlineOf(fs.read(child.resolve("cpuset.effective_cpus")));
            if (cpus.isEmpty()) {
                continue;
            }
            if (balanced(child)) {
                out.add(cpus); // its descendants are balanced within it
            } else {
                collectBalanced(child, out);
            }
        }
    }

    private boolean balanced(Path dir) throws CgroupException {
        return fs.read(dir.resolve("cpuset.sched_load_balance")).equals("1");
    }

    private BitSet onlineOf(String list) {
        BitSet cpus = CpuList.parse(list);
        cpus.and(online);
        return cpus;
    }


    @Override
    protected void create(Path dir, BitSet cpus, BitSet rest) throws CgroupException {
        boolean first = partitions.isEmpty();
        String mems = fs.read(root.resolve("cpuset.mems"));
        Path restDir = root.resolve(REST);
        if (first) {
            originalLoadBalance = fs.read(root.resolve("cpuset.sched_load_balance"));
            if (fs.exists(restDir) && originalLoadBalance.equals("0")) {
                // left behind by a run that was killed: it found the kernel's default, 1
                originalLoadBalance = "1";
            }
        }
        try {
            if (!fs.exists(restDir)) {
                fs.mkdir(restDir);
                fs.write(restDir.resolve("cpuset.mems"), mems);
            }
            // shrink the rest first: an exclusive cpuset may not overlap a sibling
            fs.write(restDir.resolve("cpuset.cpus"), Bandwidth.cpuList(rest));
            if (!fs.exists(dir)) { // else left behind by a run that was killed: reused
                fs.mkdir(dir);
            }
            fs.write(dir.resolve("cpuset.mems"), mems);
            fs.write(dir.resolve("cpuset.cpus"), Bandwidth.cpuList(cpus));
            fs.write(dir.resolve("cpuset.cpu_exclusive"), "1");
            fs.write(root.resolve("cpuset.sched_load_balance"), "0");
        } catch (CgroupException e) {
            undo(dir, first);
            throw e;
        }
        List<BitSet> domains = rootDomains();
        if (!domains.contains(cpus)) {
            destroy(dir);
            throw new CgroupException("the cpuset partition of CPUs " + Bandwidth.cpuList(cpus)
                    + " did not become a root domain of its own (root domains now "
                    + domains.stream().map(Bandwidth::cpuList).toList() + "); another load-balanced cpuset overlaps it");
        }
    }

    private void undo(Path dir, boolean first) {
        try {
            if (fs.exists(dir)) {
                fs.rmdir(dir);
            }
            if (first) {
                restore();
            } else {
                fs.write(root.resolve(REST).resolve("cpuset.cpus"), Bandwidth.cpuList(rest()));
            }
        } catch (CgroupException ignored) {
            // the original failure is what the caller reports
        }
    }

    @Override
    protected void destroy(Path dir) throws CgroupException {
        moveAllBack(dir.resolve("tasks"));
        fs.rmdir(dir);
        if (partitions.isEmpty()) {
            restore();
        } else {
            fs.write(root.resolve(REST).resolve("cpuset.cpus"), Bandwidth.cpuList(rest()));
        }
    }

    private void restore() throws CgroupException {
        if (originalLoadBalance != null) {
            fs.write(root.resolve("cpuset.sched_load_balance"), originalLoadBalance);
        }
        Path restDir = root.resolve(REST);
        if (fs.exists(restDir)) {
            fs.rmdir(restDir);
        }
    }

    @Override
    public void move(Path dir, int tid) throws CgroupException {
        fs.write(dir.resolve("tasks"), Integer.toString(tid));
    }

    @Override
    public void moveBack(int tid) throws CgroupException {
        fs.write(root.resolve("tasks"), Integer.toString(tid));
    }
}
