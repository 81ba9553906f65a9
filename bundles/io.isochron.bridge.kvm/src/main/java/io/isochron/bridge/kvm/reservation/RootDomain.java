package io.isochron.bridge.kvm.reservation;

import java.util.BitSet;
import java.util.List;
import java.util.Map;

/**
 * A root domain as admission control sees it: its CPUs, the bandwidth the kernel's deadline servers
 * hold there (Linux 6.12+ reserves one per CPU for fair tasks), and the deadline threads it holds,
 * by thread id with their bandwidth (kernel fixed point).
 */
public record RootDomain(BitSet cpus, long serverBandwidth, Map<Integer, Long> threads) {
    public RootDomain {
        cpus = (BitSet) cpus.clone();
        threads = Map.copyOf(threads);
    }

    @Override
    public BitSet cpus() {
        return (BitSet) cpus.clone();
    }

    public boolean contains(int cpu) {
        return cpus.get(cpu);
    }

    /** Everything held: servers and threads. */
    public long held() {
        return serverBandwidth + threads.values().stream().mapToLong(Long::longValue).sum();
    }

    /** The same domain without thread {@code tid} (its bandwidth is replaced when it is re-admitted). */
    public RootDomain without(int tid) {
        if (!threads.containsKey(tid)) {
            return this;
        }
        var rest = new java.util.HashMap<>(threads);
        rest.remove(tid);
        return new RootDomain(cpus, serverBandwidth, rest);
    }

    static List<Integer> sortedThreads(RootDomain d) {
        return d.threads.keySet().stream().sorted().toList();
    }
}
