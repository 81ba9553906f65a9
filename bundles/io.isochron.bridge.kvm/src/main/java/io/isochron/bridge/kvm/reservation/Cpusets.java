package io.isochron.bridge.kvm.reservation;

import io.isochron.bridge.kvm.host.CpuList;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Exclusive cpuset partitions, each its own root domain, so a SCHED_DEADLINE thread can be confined
 * to chosen CPUs (sched_setaffinity cannot do that: the kernel refuses with EBUSY/EPERM). The host's
 * cgroup version decides how: {@link CgroupV1} or {@link CgroupV2}. Partitions are made on demand,
 * shared by threads asking for the same CPUs, and removed with every setting they changed restored
 * when the last one closes. Not thread-safe: the caller serialises.
 */
public abstract class Cpusets {
    protected final CgroupFs fs;
    protected final Path root;
    protected final BitSet online;
    /** CPU list → partition cgroup, in creation order. */
    protected final Map<String, Path> partitions = new LinkedHashMap<>();

    protected Cpusets(CgroupFs fs, Path root, BitSet online) {
        this.fs = fs;
        this.root = root;
        this.online = (BitSet) online.clone();
    }

    /** The cpuset hierarchy of this host, if there is one with the cpuset controller. */
    public static Optional<Cpusets> detect(CgroupFs fs, Path cgroupMount, BitSet online) {
        Path v1 = cgroupMount.resolve("cpuset");
        if (fs.exists(v1.resolve("cpuset.cpus"))) {
            return Optional.of(new CgroupV1(fs, v1, online));
        }
        for (Path p : List.of(cgroupMount, cgroupMount.resolve("unified"))) {
            try {
                if (fs.exists(p.resolve("cgroup.controllers"))
                        && List.of(fs.read(p.resolve("cgroup.controllers")).split("\\s+")).contains("cpuset")) {
                    return Optional.of(new CgroupV2(fs, p, online));
                }
            } catch (CgroupException unreadable) {
                // not this one
            }
        }
        return Optional.empty();
    }

    /** e.g. {@code cgroup v1 cpuset at /sys/fs/cgroup/cpuset}. */
    public abstract String kind();

    public Path root() {
        return root;
    }

    /** The root domains the current cpuset layout makes, as CPU sets (online CPUs only). */
    public abstract List<BitSet> rootDomains() throws CgroupException;

    /**
     * The partition for exactly {@code cpus}, made if needed.
     *
     * @return the partition's cgroup directory
     */
    public final Path partition(BitSet cpus) throws CgroupException {
        String key = Bandwidth.cpuList(cpus);
        Path existing = partitions.get(key);
        if (existing != null) {
            return existing;
        }
        BitSet bad = (BitSet) cpus.clone();
        bad.andNot(online);
        if (cpus.isEmpty() || !bad.isEmpty()) {
            throw new CgroupException("partition CPUs " + key + " must be online CPUs (online: "
                    + Bandwidth.cpuList(online) + ")");
        }
        for (String other : partitions.keySet()) {
            if (CpuList.parse(other).intersects(cpus)) {
                throw new CgroupException("partition CPUs " + key + " overlap the partition of CPUs " + other);
            }
        }
        BitSet rest = rest();
        rest.andNot(cpus);
        if (rest.isEmpty()) {
            throw new CgroupException("a partition of CPUs " + key + " would leave no CPU for the rest of the host");
        }
        Path dir = root.resolve("isochron-cpus-" + key.replace(',', '_'));
        create(dir, cpus, rest);
        partitions.put(key, dir);
        return dir;
    }

    /** The CPUs no partition of ours holds. */
    protected final BitSet rest() {
        BitSet rest = (BitSet) online.clone();
        for (String key : partitions.keySet()) {
            rest.andNot(CpuList.parse(key));
        }
        return rest;
    }

    public final boolean hasPartitions() {
        return !partitions.isEmpty();
    }

    /** Moves thread {@code tid} into partition {@code dir}; its affinity becomes the partition's CPUs. */
    public abstract void move(Path dir, int tid) throws CgroupException;

    /** Moves thread {@code tid} back to the root cgroup. */
    public abstract void moveBack(int tid) throws CgroupException;

    /**
     * Removes the partition of {@code cpus}: threads still in it go back to the root cgroup, and when
     * it is the last one, every host setting changed for partitions is restored.
     */
    public final void remove(BitSet cpus) throws CgroupException {
        Path dir = partitions.remove(Bandwidth.cpuList(cpus));
        if (dir != null) {
            destroy(dir);
        }
    }

    /** Removes every partition (shutdown); the first failure is reported after trying all. */
    public final void removeAll() throws CgroupException {
        CgroupException first = null;
        List<String> keys = new ArrayList<>(partitions.keySet());
        java.util.Collections.reverse(keys);
        for (String key : keys) {
            try {
                remove(CpuList.parse(key));
            } catch (CgroupException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    protected abstract void create(Path dir, BitSet cpus, BitSet rest) throws CgroupException;

    protected abstract void destroy(Path dir) throws CgroupException;

    /** The child cgroups of {@code dir}, sorted; none if it was removed meanwhile. */
    protected static List<Path> children(Path dir) {
        List<Path> out = new ArrayList<>();
        try (java.nio.file.DirectoryStream<Path> ds = java.nio.file.Files.newDirectoryStream(dir,
                java.nio.file.Files::isDirectory)) {
            ds.forEach(out::add);
        } catch (java.io.IOException gone) {
            // removed meanwhile: no children to consider
        }
        out.sort(null);
        return out;
    }

    /** Moves every thread listed in {@code members} back to the root; threads that exited meanwhile need nothing. */
    protected final void moveAllBack(Path members) throws CgroupException {
        for (int tid : ids(fs.read(members))) {
            try {
                moveBack(tid);
            } catch (CgroupException e) {
                if (fs.exists(Path.of("/proc", Integer.toString(tid)))) {
                    throw e;
                }
            }
        }
    }

    protected static List<Integer> ids(String text) {
        List<Integer> ids = new ArrayList<>();
        for (String line : text.split("\\s+")) {
            if (!line.isBlank()) {
                ids.add(Integer.parseInt(line.strip()));
            }
        }
        return ids;
    }

    /** Merges overlapping CPU sets, as the kernel merges overlapping load-balanced cpusets. */
    static List<BitSet> merge(List<BitSet> sets) {
        List<BitSet> out = new ArrayList<>();
        for (BitSet s : sets) {
            BitSet merged = (BitSet) s.clone();
            boolean grew = true;
            while (grew) {
                grew = false;
                for (var it = out.iterator(); it.hasNext();) {
                    BitSet o = it.next();
                    if (o.intersects(merged)) {
                        merged.or(o);
                        it.remove();
                        grew = true;
                    }
                }
            }
            out.add(merged);
        }
        return out;
    }
}
