package io.isochron.bridge.kvm.reservation;

import io.isochron.bridge.kvm.host.CpuList;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Partitions on the unified hierarchy (cgroup v2, Documentation/admin-guide/cgroup-v2.rst, "Cpuset"):
 * a child of the root cgroup with {@code cpuset.cpus} (and {@code cpuset.cpus.exclusive} where the
 * kernel has it, 6.7+) set to the partition's CPUs and {@code cpuset.cpus.partition = root} becomes
 * a root domain; the kernel takes its CPUs out of the root's effective CPUs and reports a refused
 * partition as {@code root invalid (reason)}, which is read back and reported. Single threads move
 * through {@code cgroup.threads}, so the partition is made threaded; the kernel allows that only for
 * threads whose process shares the root's threaded domain. Restored on removal: threads back to the
 * root, the cgroup removed, and the cpuset controller disabled again in the root's subtree_control if
 * it was enabled here.
 */
public final class CgroupV2 extends Cpusets {
    private boolean enabledController;

    CgroupV2(CgroupFs fs, Path root, BitSet online) {
        super(fs, root, online);
    }

    @Override
    public String kind() {
        return "cgroup v2 cpuset at " + root;
    }

    @Override
    public List<BitSet> rootDomains() throws CgroupException {
        List<BitSet> domains = new ArrayList<>();
        BitSet top = CpuList.parse(fs.read(root.resolve("cpuset.cpus.effective")));
        top.and(online);
        BitSet isolated = new BitSet();
        collect(root, domains, isolated);
        // the kernel already keeps partition CPUs out of the root's effective CPUs; this is for safety
        domains.forEach(top::andNot);
        top.andNot(isolated);
        if (!top.isEmpty()) {
            domains.add(0, top);
        }
        if (!isolated.isEmpty()) {
            domains.add(isolated); // isolated partitions have no load balancing: the default root domain
        }
        return domains;
    }

    private void collect(Path dir, List<BitSet> domains, BitSet isolated) throws CgroupException {
        for (Path child : children(dir)) {
            Path partition = child.resolve("cpuset.cpus.partition");
            if (!fs.exists(partition)) {
                continue;
            }
            String state = fs.read(partition);
            BitSet cpus = CpuList.parse(fs.exists(child.resolve("cpuset.cpus.effective"))
                    ? fs.read(child.resolve("cpuset.cpus.effective")) : "");
            cpus.and(online);
            if (state.equals("root") && !cpus.isEmpty()) {
                domains.add(cpus); // nested partitions already took their CPUs out of cpus.effective
            } else if (state.equals("isolated")) {
                isolated.or(cpus);
            }
            collect(child, domains, isolated);
        }
    }


    @Override
    protected void create(Path dir, BitSet cpus, BitSet rest) throws CgroupException {
        String cpuList = Bandwidth.cpuList(cpus);
        Path control = root.resolve("cgroup.subtree_control");
        boolean enabledNow = false;
        if (!List.of(fs.read(control).split("\\s+")).contains("cpuset")) {
            fs.write(control, "+cpuset");
            enabledNow = true;
        }
        try {
            if (!fs.exists(dir)) { // else left behind by a run that was killed: reused
                fs.mkdir(dir);
            }
            try {
                fs.write(dir.resolve("cpuset.cpus"), cpuList);
                if (fs.exists(dir.resolve("cpuset.cpus.exclusive"))) {
                    fs.write(dir.resolve("cpuset.cpus.exclusive"), cpuList);
                }
                fs.write(dir.resolve("cpuset.cpus.partition"), "root");
                String state = fs.read(dir.resolve("cpuset.cpus.partition"));
                if (!state.equals("root")) {
                    throw new CgroupException("cgroup v2 refused the partition of CPUs " + cpuList + " at " + dir
                            + ": cpuset.cpus.partition reads '" + state + "'");
                }
                fs.write(dir.resolve("cgroup.type"), "threaded");
            } catch (CgroupException e) {
                fs.rmdir(dir);
                throw e;
            }
        } catch (CgroupException e) {
            if (enabledNow) {
                disableController();
            }
            throw e;
        }
        enabledController |= enabledNow;
    }

    @Override
    protected void destroy(Path dir) throws CgroupException {
        moveAllBack(dir.resolve("cgroup.threads"));
        fs.rmdir(dir); // the partition's CPUs return to the root
        if (partitions.isEmpty() && enabledController) {
            enabledController = false;
            disableController();
        }
    }

    /** Best effort: another cgroup may have started using the controller meanwhile (then it stays). */
    private void disableController() {
        try {
            fs.write(root.resolve("cgroup.subtree_control"), "-cpuset");
        } catch (CgroupException inUse) {
            // left enabled; it changes nothing for tasks without a cpuset of their own
        }
    }

    @Override
    public void move(Path dir, int tid) throws CgroupException {
        fs.write(dir.resolve("cgroup.threads"), Integer.toString(tid));
    }

    @Override
    public void moveBack(int tid) throws CgroupException {
        fs.write(root.resolve("cgroup.threads"), Integer.toString(tid));
    }
}
