package io.isochron.bridge.kvm.reservation;

import io.isochron.bridge.kvm.host.Errno;
import io.isochron.bridge.kvm.host.Kernel;
import io.isochron.bridge.kvm.host.NativeException;
import io.isochron.bridge.kvm.host.SchedAttributes;
import io.isochron.bridge.kvm.host.SchedFlag;
import java.io.IOException;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Gives threads SCHED_DEADLINE reservations: admission first (our rule on the host's facts, so a
 * refusal names the numbers), then, for a pinned reservation, the cpuset partition and the move, then
 * sched_setattr and the read-back. A failure leaves the thread as it was (SCHED_OTHER, its cpuset) and
 * becomes one {@link ReservationException} line. Calls are serialised: each decides on a fresh
 * snapshot that includes the reservations made before it.
 */
public final class Reserver implements AutoCloseable {
    private static final long REBUILD_WAIT_NANOS = 1_000_000_000L;
    private final Kernel kernel;
    private final HostFacts facts;
    private final Optional<Cpusets> cpusets;
    /** Partition CPU list → reservations in it; the partition goes with the last. */
    private final Map<String, Integer> users = new HashMap<>();

    public Reserver(Kernel kernel, HostFacts facts, Optional<Cpusets> cpusets) {
        this.kernel = kernel;
        this.facts = facts;
        this.cpusets = cpusets;
    }

    /** The admission verdict for {@code spec} on thread {@code tid} without changing anything: empty = admitted. */
    public synchronized Optional<String> admit(ReservationSpec spec, int tid) throws ReservationException {
        return admission(spec, tid, snapshot(spec, tid));
    }

    public synchronized Reservation reserve(ReservationSpec spec, int tid) throws ReservationException {
        HostFacts.Snapshot s = snapshot(spec, tid);
        Optional<String> refused = admission(spec, tid, s);
        if (refused.isPresent()) {
            throw new ReservationException(refused.get());
        }
        BitSet cpus = spec.cpus();
        Path partition = null;
        if (!cpus.isEmpty()) {
            Cpusets c = cpusets.orElseThrow();
            try {
                partition = c.partition(cpus);
                users.merge(Bandwidth.cpuList(cpus), 1, Integer::sum);
                c.move(partition, tid);
            } catch (CgroupException e) {
                dropUser(cpus);
                throw new ReservationException(what(spec, tid) + " failed: " + e.getMessage());
            }
        } else {
            cpus = domainOfThread(s, spec, tid).cpus();
            try {
                // the kernel admits a deadline thread only with its whole root domain as affinity
                if (!kernel.affinity(tid).equals(cpus)) {
                    kernel.setAffinity(tid, cpus);
                }
            } catch (NativeException e) {
                throw new ReservationException(what(spec, tid) + " failed: " + e.getMessage());
            }
        }
        SchedAttributes wanted = attributes(spec);
        try {
            setAttributes(tid, wanted, partition != null);
        } catch (NativeException e) {
            undoPartition(cpus, spec, tid);
            throw new ReservationException(what(spec, tid) + " refused by the kernel: sched_setattr " + e.error()
                    + " (" + e.description() + ")" + (partition != null && e.error() == Errno.EPERM
                            ? "; the thread did not run on a partition CPU within 1 s of being moved there (a paused "
                                    + "guest's vCPU sleeps until it is resumed)"
                            : hint(e)));
        }
        SchedAttributes got;
        try {
            got = kernel.attributes(tid);
        } catch (NativeException e) {
            got = null;
        }
        String mismatch = got == null ? "sched_getattr failed after sched_setattr (thread gone?)"
                : got.policy() != wanted.policy() || got.runtimeNanos() != wanted.runtimeNanos()
                        || got.deadlineNanos() != wanted.deadlineNanos() || got.periodNanos() != wanted.periodNanos()
                        || got.flags().contains(SchedFlag.RECLAIM) != spec.reclaim()
                        ? "read back " + got.policy() + " " + got.runtimeNanos() + "/" + got.deadlineNanos() + "/"
                                + got.periodNanos() + " ns " + got.flags() + " instead of " + wanted.runtimeNanos()
                                + "/" + wanted.deadlineNanos() + "/" + wanted.periodNanos() + " ns " + wanted.flags()
                        : "";
        return new Reservation(spec, tid, cpus, partition, got, mismatch);
    }

    /**
     * Ends a reservation: the thread becomes SCHED_OTHER (nice 0) and leaves its partition; the
     * partition goes with its last thread. A thread that has exited needs nothing.
     *
     * @return empty, or one line about what could not be undone
     */
    public synchronized Optional<String> release(Reservation r) {
        String problem = null;
        try {
            kernel.setAttributes(r.tid(), SchedAttributes.other(0));
        } catch (NativeException e) {
            if (e.error() != Errno.ESRCH) {
                problem = "releasing " + r.spec().label() + " (thread " + r.tid() + "): " + e.getMessage();
            }
        }
        if (r.partition() != null) {
            Cpusets c = cpusets.orElseThrow();
            try {
                if (java.nio.file.Files.exists(Path.of("/proc", Integer.toString(r.tid())))) {
                    c.moveBack(r.tid());
                }
                if (dropUser(r.cpus()) == 0) {
                    c.remove(r.cpus());
                }
            } catch (CgroupException e) {
                problem = "releasing " + r.spec().label() + " (thread " + r.tid() + "): " + e.getMessage();
            }
        }
        return Optional.ofNullable(problem);
    }

    /** Removes every partition left (shutdown); threads in them go back to the root cgroup. */
    @Override
    public synchronized void close() throws CgroupException {
        users.clear();
        if (cpusets.isPresent()) {
            cpusets.get().removeAll();
        }
    }

    /**
     * sched_setattr; in a partition, EPERM is retried for a while: the kernel checks the root domain of
     * the CPU the thread last ran on, and a sleeping thread moved into a partition stays on its old
     * CPU's run queue until it wakes (measured: refused until the thread next runs, then accepted).
     */
    private void setAttributes(int tid, SchedAttributes wanted, boolean inPartition) throws NativeException {
        long giveUp = System.nanoTime() + REBUILD_WAIT_NANOS;
        while (true) {
            try {
                kernel.setAttributes(tid, wanted);
                return;
            } catch (NativeException e) {
                if (!inPartition || e.error() != Errno.EPERM || System.nanoTime() > giveUp) {
                    throw e;
                }
                try {
                    Thread.sleep(5);
                } catch (InterruptedException i) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    static SchedAttributes attributes(ReservationSpec spec) {
        return spec.reclaim()
                ? SchedAttributes.deadline(spec.runtimeNanos(), spec.deadlineNanos(), spec.periodNanos(), SchedFlag.RECLAIM)
                : SchedAttributes.deadline(spec.runtimeNanos(), spec.deadlineNanos(), spec.periodNanos());
    }

    private HostFacts.Snapshot snapshot(ReservationSpec spec, int tid) throws ReservationException {
        if (!spec.cpus().isEmpty() && cpusets.isEmpty()) {
            throw new ReservationException(what(spec, tid) + " needs a cpuset partition, but this host has no cpuset "
                    + "hierarchy (cgroup v1 /sys/fs/cgroup/cpuset, or cgroup v2 with the cpuset controller)");
        }
        try {
            return facts.snapshot();
        } catch (IOException | CgroupException | RuntimeException e) {
            throw new ReservationException(what(spec, tid) + " not tried: cannot read the host's deadline facts: "
                    + e.getMessage());
        }
    }

    private Optional<String> admission(ReservationSpec spec, int tid, HostFacts.Snapshot s) throws ReservationException {
        BitSet cpus = spec.cpus();
        if (cpus.isEmpty()) {
            return AdmissionRule.check(spec, tid, domainOfThread(s, spec, tid), s.limit());
        }
        if (users.containsKey(Bandwidth.cpuList(cpus))) {
            RootDomain d = s.domainOf(cpus.nextSetBit(0)).orElseThrow();
            return AdmissionRule.check(spec, tid, d, s.limit());
        }
        // A new partition splits root domains: what stays behind must still fit, or the kernel refuses.
        for (RootDomain left : s.shrunkBy(cpus)) {
            RootDomain rest = left.without(tid);
            long capacity = AdmissionRule.capacity(s.limit(), rest.cpus().cardinality());
            if (!s.limit().unlimited() && (rest.cpus().isEmpty() || rest.held() > capacity)) {
                return Optional.of("reservation " + spec.describe() + " for " + spec.label() + " refused: a partition "
                        + "of CPUs " + Bandwidth.cpuList(cpus) + " would leave root domain CPUs "
                        + Bandwidth.cpuList(rest.cpus()) + " holding " + Bandwidth.format(rest.held()) + " of "
                        + Bandwidth.format(capacity));
            }
        }
        return AdmissionRule.check(spec, tid, s.partition(cpus), s.limit());
    }

    private RootDomain domainOfThread(HostFacts.Snapshot s, ReservationSpec spec, int tid) throws ReservationException {
        try {
            BitSet now = kernel.affinity(tid);
            // a thread pinned by the bridge still belongs to the root domain of its CPUs
            return s.domainOf(now.nextSetBit(0)).orElseThrow(
                    () -> new ReservationException(what(spec, tid) + " not tried: its CPUs " + Bandwidth.cpuList(now)
                            + " are in no root domain"));
        } catch (NativeException e) {
            throw new ReservationException(what(spec, tid) + " not tried: " + e.getMessage());
        }
    }

    private void undoPartition(BitSet cpus, ReservationSpec spec, int tid) {
        if (spec.cpus().isEmpty()) {
            return;
        }
        Cpusets c = cpusets.orElseThrow();
        try {
            c.moveBack(tid);
            if (dropUser(cpus) == 0) {
                c.remove(cpus);
            }
        } catch (CgroupException ignored) {
            // the refusal is what gets reported; close() removes what is left
        }
    }

    private int dropUser(BitSet cpus) {
        String key = Bandwidth.cpuList(cpus);
        Integer n = users.computeIfPresent(key, (k, v) -> v > 1 ? v - 1 : null);
        return n == null ? 0 : n;
    }

    private static String what(ReservationSpec spec, int tid) {
        return "reservation " + spec.describe() + " for " + spec.label() + " (thread " + tid + ")";
    }

    private static String hint(NativeException e) {
        return switch (e.error()) {
            case EBUSY -> "; the root domain lacks the bandwidth (a reservation released less than a period ago "
                    + "still holds it)";
            case EPERM -> "; no CAP_SYS_NICE, or the thread's affinity is narrower than its root domain";
            case EINVAL -> "; the kernel needs runtime <= deadline <= period";
            default -> "";
        };
    }
}
