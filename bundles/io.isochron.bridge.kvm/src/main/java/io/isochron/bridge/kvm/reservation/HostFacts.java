package io.isochron.bridge.kvm.reservation;

import io.isochron.bridge.kvm.host.CpuList;
import io.isochron.bridge.kvm.host.Kernel;
import io.isochron.bridge.kvm.host.NativeException;
import io.isochron.bridge.kvm.host.ProcFs;
import io.isochron.bridge.kvm.host.SchedAttributes;
import io.isochron.bridge.kvm.host.SchedPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads what admission control needs from the running host: the rt limit, the online CPUs, the root
 * domains (from the cpuset layout), the kernel's deadline servers and every SCHED_DEADLINE thread
 * with its bandwidth. Threads vanish while they are scanned; a thread that is gone is simply not held.
 */
public final class HostFacts {
    /** Linux 6.12+ default of the fair server per CPU when debugfs does not tell: 50 ms every 1 s. */
    static final long DEFAULT_FAIR_SERVER = Bandwidth.ratio(1_000_000_000L, 50_000_000L);
    private static final Path SERVERS = Path.of("/sys/kernel/debug/sched");

    private final Kernel kernel;
    private final ProcFs proc;
    private final Optional<Cpusets> cpusets;
    private final BitSet online;
    /** Read once: the servers' parameters change only by hand, and every debugfs attempt under lockdown logs. */
    private long[] serverPerCpu;
    private String serverSource;

    public HostFacts(Kernel kernel, ProcFs proc, Optional<Cpusets> cpusets, BitSet online) {
        this.kernel = kernel;
        this.proc = proc;
        this.cpusets = cpusets;
        this.online = (BitSet) online.clone();
    }

    /** What the host holds now. */
    public record Snapshot(RtLimit limit, List<RootDomain> domains, long[] serverPerCpu, String serverSource) {
        /** The root domain holding {@code cpu}, or empty if the CPU is offline. */
        public Optional<RootDomain> domainOf(int cpu) {
            return domains.stream().filter(d -> d.contains(cpu)).findFirst();
        }

        /** The domain an exclusive partition of {@code cpus} would be: its servers, no threads yet. */
        public RootDomain partition(BitSet cpus) {
            return new RootDomain(cpus, servers(cpus), Map.of());
        }

        /**
         * The domains that would lose {@code cpus} to a new partition, with what they would keep: the
         * kernel refuses to shrink a domain below what its deadline threads hold.
         */
        public List<RootDomain> shrunkBy(BitSet cpus) {
            List<RootDomain> out = new ArrayList<>();
            for (RootDomain d : domains) {
                if (d.cpus().intersects(cpus)) {
                    BitSet left = d.cpus();
                    left.andNot(cpus);
                    out.add(new RootDomain(left, servers(left), d.threads()));
                }
            }
            return out;
        }

        long servers(BitSet cpus) {
            long sum = 0;
            for (int c = cpus.nextSetBit(0); c >= 0; c = cpus.nextSetBit(c + 1)) {
                sum += c < serverPerCpu.length ? serverPerCpu[c] : 0;
            }
            return sum;
        }
    }

    public static BitSet onlineCpus() {
        try {
            return CpuList.parse(read(Path.of("/sys/devices/system/cpu/online")));
        } catch (IOException e) {
            BitSet all = new BitSet();
            all.set(0, Runtime.getRuntime().availableProcessors());
            return all;
        }
    }

    public Snapshot snapshot() throws IOException, CgroupException {
        RtLimit limit = new RtLimit(Long.parseLong(read(Path.of("/proc/sys/kernel/sched_rt_runtime_us"))),
                Long.parseLong(read(Path.of("/proc/sys/kernel/sched_rt_period_us"))));
        List<BitSet> layout = cpusets.isPresent() ? cpusets.get().rootDomains() : List.of(online);
        long[] servers = servers();
        String source = serverSource;
        List<Map<Integer, Long>> held = new ArrayList<>();
        layout.forEach(d -> held.add(new HashMap<>()));
        for (int pid : proc.processes()) {
            for (int tid : proc.threads(pid)) {
                if (proc.policy(pid, tid).orElse(-1) != SchedPolicy.DEADLINE.code()) {
                    continue;
                }
                try {
                    SchedAttributes a = kernel.attributes(tid);
                    BitSet cpus = kernel.affinity(tid);
                    if (a.policy() != SchedPolicy.DEADLINE) {
                        continue; // changed meanwhile
                    }
                    // a deadline thread's affinity spans its root domain; its first CPU names the domain
                    for (int i = 0; i < layout.size(); i++) {
                        if (layout.get(i).get(cpus.nextSetBit(0))) {
                            held.get(i).put(tid, Bandwidth.ratio(a.periodNanos(), a.runtimeNanos()));
                        }
                    }
                } catch (NativeException gone) {
                    // exited between the scan and the call
                }
            }
        }
        List<RootDomain> domains = new ArrayList<>();
        for (int i = 0; i < layout.size(); i++) {
            long s = 0;
            BitSet cpus = layout.get(i);
            for (int c = cpus.nextSetBit(0); c >= 0; c = cpus.nextSetBit(c + 1)) {
                s += c < servers.length ? servers[c] : 0;
            }
            domains.add(new RootDomain(cpus, s, held.get(i)));
        }
        return new Snapshot(limit, domains, servers, source);
    }

    /**
     * Fills the deadline servers' bandwidth per CPU (fair_server, and ext_server where sched_ext has
     * one) from debugfs; where debugfs is not readable (lockdown, not mounted) a 6.12+ kernel is
     * assumed to run the default fair server. Returns where the numbers came from.
     */
    private synchronized long[] servers() {
        if (serverPerCpu == null) {
            long[] perCpu = new long[online.length()];
            serverSource = servers(perCpu);
            serverPerCpu = perCpu;
        }
        return serverPerCpu.clone();
    }

    private String servers(long[] perCpu) {
        boolean read = false;
        for (String server : List.of("fair_server", "ext_server")) {
            if (lockedDown()) {
                break;
            }
            for (int c = online.nextSetBit(0); c >= 0; c = online.nextSetBit(c + 1)) {
                Path dir = SERVERS.resolve(server).resolve("cpu" + c);
                try {
                    long runtime = Long.parseLong(read(dir.resolve("runtime")));
                    long period = Long.parseLong(read(dir.resolve("period")));
                    perCpu[c] += Bandwidth.ratio(period, runtime);
                    read = true;
                } catch (IOException | NumberFormatException absent) {
                    break; // no such server, or debugfs not readable: one attempt, not one per CPU
                }
            }
            if (!read) {
                break; // without a readable fair server there is nothing to learn about the others
            }
        }
        if (read) {
            return "debugfs";
        }
        if (kernelAtLeast(6, 12)) {
            for (int c = online.nextSetBit(0); c >= 0; c = online.nextSetBit(c + 1)) {
                perCpu[c] = DEFAULT_FAIR_SERVER;
            }
            return "default fair server 50/1000 ms per CPU (debugfs not readable"
                    + (lockedDown() ? " under kernel lockdown)" : ")");
        }
        return "none (kernel before 6.12)";
    }

    /** Kernel lockdown refuses debugfs reads (and logs each attempt): don't try then. */
    private static boolean lockedDown() {
        try {
            String modes = read(Path.of("/sys/kernel/security/lockdown"));
            return !modes.contains("[none]");
        } catch (IOException noLsm) {
            return false;
        }
    }

    static boolean kernelAtLeast(int major, int minor) {
        String[] v = System.getProperty("os.version", "0.0").split("[.-]");
        try {
            int ma = Integer.parseInt(v[0]);
            int mi = v.length > 1 ? Integer.parseInt(v[1]) : 0;
            return ma > major || ma == major && mi >= minor;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** One read: procfs and sysfs handlers answer a read at a non-zero offset with EOF. */
    static String read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip();
        }
    }
}
